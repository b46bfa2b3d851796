using System.Text;
using Microsoft.Extensions.Logging;
using QwenFastProxy.Configuration;
using QwenFastProxy.Observability;

namespace QwenFastProxy.Tests.Observability;

/// <summary>Which lines the proxy's logging lets through, and that a stop writes out every line still queued.</summary>
public sealed class LoggingSetupTests
{
    [Fact]
    public void OutsideDebugTheProxyLogsInformationAndTheFrameworkOnlyWarnings()
    {
        var lines = Log(debug: false);

        Assert.Equal(["proxy information", "proxy warning", "framework warning"], lines);
    }

    [Fact]
    public void InDebugEverythingFromDebugUpIsLogged()
    {
        var lines = Log(debug: true);

        Assert.Equal(["proxy debug", "proxy information", "proxy warning", "framework debug", "framework information", "framework warning"], lines);
    }

    [Fact]
    public void DisposingWritesOutEveryQueuedLine()
    {
        var output = new MemoryStream();
        var factory = LoggingSetup.Create(debug: false, LogFormat.Text, output);
        var logger = factory.CreateLogger("QwenFastProxy.Test");
        for (var i = 0; i < 500; i++)
        {
            Write(logger, LogLevel.Information, $"line {i}");
        }

        factory.Dispose();

        var text = Encoding.UTF8.GetString(output.ToArray());
        Assert.Equal(500, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("line 499", text, StringComparison.Ordinal);
    }

    // The interface's own method: what the source-generated log methods call.
    private static void Write(ILogger logger, LogLevel level, string message) =>
        logger.Log(level, default, message, null, static (text, _) => text);

    private static List<string> Log(bool debug)
    {
        var output = new MemoryStream();
        var factory = LoggingSetup.Create(debug, LogFormat.Text, output);
        foreach (var (category, name) in new[] { ("QwenFastProxy.Test", "proxy"), ("Microsoft.AspNetCore.Server.Kestrel", "framework") })
        {
            var logger = factory.CreateLogger(category);
            Write(logger, LogLevel.Trace, name + " trace");
            Write(logger, LogLevel.Debug, name + " debug");
            Write(logger, LogLevel.Information, name + " information");
            Write(logger, LogLevel.Warning, name + " warning");
        }
        factory.Dispose();
        // "2026-12-06 03:24:56.123 INF proxy information": the message after the timestamp and level.
        return Encoding.UTF8.GetString(output.ToArray())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 4)[3])
            .ToList();
    }
}
