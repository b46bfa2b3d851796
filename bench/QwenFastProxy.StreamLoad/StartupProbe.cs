using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace QwenFastProxy.StreamLoad;

/// <summary>Time from exec of a server binary to its first HTTP 200 on a health path (phase f of compare.sh).</summary>
internal static class StartupProbe
{
    public static int Run(Arguments arguments, TextWriter output)
    {
        var port = arguments.Integer("port", 0, 1);
        var runs = arguments.Integer("runs", 10, 1);
        var path = arguments.Text("path") ?? "/healthz";
        if (port == 0 || arguments.Rest.Count == 0)
        {
            throw new ArgumentException("startup needs --port P and -- BINARY [ARGS...]");
        }

        var request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        var times = new List<double>();
        // One extra first start, not recorded: it pays for reading the binary from disk, which is not start-up.
        for (var run = 0; run <= runs; run++)
        {
            if (Once(arguments.Rest, port, request) is not { } elapsed)
            {
                return 1;
            }

            if (run > 0)
            {
                times.Add(elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        var median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[(times.Count / 2) - 1] + times[times.Count / 2]) / 2;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"runs={times.Count} startup_ms_median={median:F1} min={times[0]:F1} max={times[^1]:F1} all={string.Join(',', times.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))}"));
        return 0;
    }

    // Starts the binary, polls until the health path answers 200, kills it. Null (and a message) when it never did.
    private static TimeSpan? Once(IReadOnlyList<string> command, int port, byte[] request)
    {
        var info = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            // Its log lines must not mix into our summary on stdout; they are drained and dropped.
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}");
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                if (Healthy(port, request))
                {
                    return clock.Elapsed;
                }

                if (process.HasExited)
                {
                    Console.Error.WriteLine($"stream-load: {command[0]} exited with code {process.ExitCode} before answering");
                    return null;
                }

                // A short pause that yields the core: on a 2-core box a busy spin would slow the very start-up it
                // times, while Thread.Sleep(1) would add up to a millisecond of rounding to a ~20 ms figure.
                var until = clock.Elapsed + TimeSpan.FromMicroseconds(200);
                while (clock.Elapsed < until)
                {
                    Thread.Yield();
                }
            }

            Console.Error.WriteLine($"stream-load: {command[0]} did not answer 200 on port {port} within 10 s");
            return null;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            // The next start binds the same port: the listener must be gone first.
            process.WaitForExit();
        }
    }

    private static bool Healthy(int port, byte[] request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 2000 };
        try
        {
            socket.Connect(IPAddress.Loopback, port);
            socket.Send(request);
            Span<byte> head = stackalloc byte[12];
            var read = 0;
            while (read < head.Length)
            {
                var n = socket.Receive(head[read..]);
                if (n == 0)
                {
                    return false;
                }

                read += n;
            }

            // "HTTP/1.1 200": any other status (a server still warming up) means not yet.
            return head[9..12].SequenceEqual("200"u8);
        }
        catch (SocketException)
        {
            return false; // not listening yet (connection refused)
        }
    }
}
