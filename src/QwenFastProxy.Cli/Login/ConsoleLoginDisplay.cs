using System.Globalization;
using QwenFastProxy.Auth;

namespace QwenFastProxy.Cli.Login;

/// <summary>
/// The login screen on a console: the verification URL, the user code, a QR code for a phone, an attempt to open a
/// browser, then a live countdown on a terminal (one line rewritten each second) or plain lines otherwise.
/// </summary>
internal sealed class ConsoleLoginDisplay : ILoginDisplay, IDisposable
{
    private const string ClearLine = "\r\u001b[2K";

    private readonly TextWriter _output;
    private readonly bool _isTerminal;
    private readonly Func<string, bool>? _openBrowser;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ITimer? _countdown;
    private DateTimeOffset _deadline;
    private TimeSpan _interval;

    /// <summary>Creates the display.</summary>
    /// <param name="output">Where the screen goes (standard output).</param>
    /// <param name="isTerminal">True when <paramref name="output"/> is a terminal: colour QR code and a live countdown.</param>
    /// <param name="openBrowser">Tries to open a URL (see <see cref="BrowserLauncher"/>); null never tries.</param>
    /// <param name="time">Clock of the countdown.</param>
    public ConsoleLoginDisplay(TextWriter output, bool isTerminal, Func<string, bool>? openBrowser, TimeProvider? time = null)
    {
        _output = output;
        _isTerminal = isTerminal;
        _openBrowser = openBrowser;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public void AuthorizationStarted(DeviceAuthorization authorization, DateTimeOffset deadline)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        string url = authorization.VerificationUrl;
        string qr;
        try
        {
            qr = QrTerminalRenderer.Render(QrModules.Encode(url), color: _isTerminal, indent: "  ");
        }
        catch (ArgumentException)
        {
            qr = "  (the link is too long for a QR code)\n";
        }

        bool opened = _openBrowser?.Invoke(url) ?? false;
        TimeSpan validity = deadline - _time.GetUtcNow();
        lock (_gate)
        {
            _deadline = deadline;
            _output.Write(string.Create(CultureInfo.InvariantCulture, $"""

                Log in to Qwen: open this link and approve the request.

                  {url}

                Code: {authorization.UserCode}

                Or scan it with your phone:

                {qr}
                """));
            _output.WriteLine();
            _output.WriteLine(opened ? "Opened the link in your browser." : "Open the link in a browser on any device.");
            if (_isTerminal)
            {
                WriteCountdown();
                _countdown = _time.CreateTimer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            }
            else
            {
                _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Waiting for approval (the code expires in {Clock(validity)})..."));
            }

            _output.Flush();
        }
    }

    /// <inheritdoc />
    public void PollingSlowedDown(TimeSpan interval)
    {
        lock (_gate)
        {
            _interval = interval;
            if (_isTerminal)
            {
                WriteCountdown();
            }
            else
            {
                _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"The server asked to slow down: checking every {interval.TotalSeconds:0.#} s."));
            }

            _output.Flush();
        }
    }

    /// <inheritdoc />
    public void PollFailed(string message)
    {
        lock (_gate)
        {
            _output.Write(_isTerminal ? ClearLine : string.Empty);
            _output.WriteLine($"Checking for approval failed ({message}); trying again.");
            if (_isTerminal)
            {
                WriteCountdown();
            }

            _output.Flush();
        }
    }

    /// <inheritdoc />
    public void PollingEnded()
    {
        lock (_gate)
        {
            _countdown?.Dispose();
            _countdown = null;
            if (_isTerminal)
            {
                _output.Write(ClearLine);
                _output.Flush();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => PollingEnded();

    private void Tick()
    {
        lock (_gate)
        {
            if (_countdown is null)
            {
                return;
            }

            WriteCountdown();
            _output.Flush();
        }
    }

    private void WriteCountdown()
    {
        TimeSpan left = _deadline - _time.GetUtcNow();
        string pace = _interval > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $", checking every {_interval.TotalSeconds:0.#} s")
            : string.Empty;
        _output.Write(string.Create(CultureInfo.InvariantCulture, $"{ClearLine}Waiting for approval... {Clock(left)} left{pace} (Ctrl+C cancels)"));
    }

    private static string Clock(TimeSpan span)
    {
        long seconds = Math.Max(0, (long)Math.Ceiling(span.TotalSeconds));
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}:{seconds % 60:00}");
    }
}
