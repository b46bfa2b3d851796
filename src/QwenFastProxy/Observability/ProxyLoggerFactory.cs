using Microsoft.Extensions.Logging;

namespace QwenFastProxy.Observability;

/// <summary>
/// The proxy's logger factory: ZLogger for every log line but the access lines, which go to <see cref="AccessLines"/>
/// on the same output. <see cref="AccessLog"/> looks for it; under any other factory it logs its lines through ZLogger.
/// </summary>
internal sealed class ProxyLoggerFactory : ILoggerFactory
{
    private readonly ILoggerFactory _inner;

    public ProxyLoggerFactory(ILoggerFactory inner, AccessLineSink accessLines)
    {
        _inner = inner;
        AccessLines = accessLines;
    }

    /// <summary>The ZLogger factory underneath.</summary>
    internal ILoggerFactory Inner => _inner;

    /// <summary>The batched writer of access lines.</summary>
    public AccessLineSink AccessLines { get; }

    public ILogger CreateLogger(string categoryName) => _inner.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    /// <summary>Writes out the queued access lines, then ZLogger's.</summary>
    public void Dispose()
    {
        AccessLines.Dispose();
        _inner.Dispose();
    }
}
