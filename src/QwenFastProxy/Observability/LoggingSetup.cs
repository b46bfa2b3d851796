using Microsoft.Extensions.Logging;
using QwenFastProxy.Configuration;
using ZLogger;
using ZLogger.Providers;

namespace QwenFastProxy.Observability;

/// <summary>Builds the logging pipeline: text or one JSON object per line, on standard output.</summary>
internal static class LoggingSetup
{
    // The background queue is bounded so a flood of requests cannot grow memory without limit; when it
    // is full, lines are dropped rather than stalling request threads (an edge box prefers that).
    private const int QueueCapacity = 16 * 1024;

    /// <summary>
    /// A logger factory writing to standard output (or to <paramref name="output"/> when given, for tests): ZLogger for
    /// the log lines, an <see cref="AccessLineSink"/> for the access lines, sharing the output one whole write at a time.
    /// </summary>
    public static ILoggerFactory Create(bool debug, LogFormat format, Stream? output = null)
    {
        var shared = Stream.Synchronized(output ?? Console.OpenStandardOutput());
        var options = new ZLoggerOptions();
        Configure(options, format);
        var filters = new LoggerFilterOptions { MinLevel = debug ? LogLevel.Debug : LogLevel.Information };
        // Framework chatter (Kestrel's own connection logs) only when debugging.
        filters.Rules.Add(new LoggerFilterRule(providerName: null, categoryName: "Microsoft", debug ? LogLevel.Debug : LogLevel.Warning, filter: null));
        // Built by hand rather than through LoggerFactory.Create: its service container resolves by reflection, a
        // few milliseconds of a native binary's start. AddProvider, not the constructor's list, so that disposing the
        // factory disposes the provider, whose writer then writes out what it still holds.
        var factory = new LoggerFactory([], filters);
        factory.AddProvider(new ZLoggerStreamLoggerProvider(shared, options));
        return new ProxyLoggerFactory(factory, new AccessLineSink(shared, format == LogFormat.Json));
    }

    private static void Configure(ZLoggerOptions options, LogFormat format)
    {
        options.FullMode = BackgroundBufferFullMode.Drop;
        options.BackgroundBufferCapacity = QueueCapacity;
        if (format == LogFormat.Json)
        {
            options.UseJsonFormatter();
        }
        else
        {
            options.UsePlainTextFormatter(formatter =>
                formatter.SetPrefixFormatter($"{0:utc-longdate} {1:short} ", (in MessageTemplate template, in LogInfo info) => template.Format(info.Timestamp, info.LogLevel)));
        }
    }
}
