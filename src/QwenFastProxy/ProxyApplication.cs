using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using QwenFastProxy.Auth;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;
using QwenFastProxy.Resilience;
using QwenFastProxy.Routing;
using QwenFastProxy.Streaming;
using QwenFastProxy.Upstream;

namespace QwenFastProxy;

/// <summary>
/// The proxy, assembled: upstream pool, router, access log and the HTTP/1.1 connection handler. An
/// embedder attaches it to any Kestrel endpoint with <see cref="ConnectionBuilderExtensions.UseQwenFastProxy"/>;
/// the <c>qwenfastproxy</c> executable is one such embedder.
/// </summary>
public sealed class ProxyApplication : IDisposable
{
    // Kestrel's and SocketsHttpHandler's own defaults are infinite/none; a dead upstream host should fail
    // fast enough for the client to see an error long before its own timeout.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly HttpMessageInvoker _upstreamClient;

    /// <summary>Builds the proxy for <paramref name="options"/>.</summary>
    /// <param name="options">Validated settings.</param>
    /// <param name="credentials">Where upstream bearer tokens come from.</param>
    /// <param name="upstreamBaseUrl">Normalised API base (see <see cref="ApiBaseUrl.Resolve"/>).</param>
    /// <param name="loggerFactory">Logging (ZLogger in the executable).</param>
    /// <param name="time">Clock for timeouts; tests may pass a fake one.</param>
    public ProxyApplication(ProxyOptions options, IUpstreamCredentials credentials, string upstreamBaseUrl, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        Options = options;
        UpstreamBaseUrl = upstreamBaseUrl;
        _upstreamClient = UpstreamClientFactory.Create(options.IdleConnTimeout, ConnectTimeout);
        Circuit = new CircuitBreaker(options.CircuitBreakerFailures, options.CircuitBreakerReset, time);
        Metrics = new ProxyMetrics(Circuit, credentials);
        Usage = new UsageLedger(
            options.StateDir is null ? null : Path.Combine(options.StateDir, UsageFile.FileName),
            time ?? TimeProvider.System,
            loggerFactory.CreateLogger("QwenFastProxy.Usage"));
        var circuitLogger = loggerFactory.CreateLogger("QwenFastProxy.Resilience");
        var resetSeconds = options.CircuitBreakerReset.TotalSeconds;
        Circuit.StateChanged += change =>
        {
            if (change.To == CircuitState.Open)
            {
                circuitLogger.CircuitOpened(change.From, change.To, resetSeconds);
            }
            else
            {
                circuitLogger.CircuitChanged(change.From, change.To);
            }
        };
        var forwarder = new UpstreamForwarder(
            _upstreamClient,
            credentials,
            upstreamBaseUrl,
            new UpstreamTimeouts(options.RequestTimeout, options.StreamingTimeout, options.ReadTimeout),
            new UpstreamResilience(Circuit, new RetryPolicy(options.RetryMaxAttempts), time ?? TimeProvider.System, options.ForwardSimulatorHeaders, Metrics),
            new ResponseRelay(
                options.ReadTimeout,
                options.StutterFilter ? new StreamRepairOptions(options.StreamingBufferSize, MaxErrors: options.StreamingMaxErrors) : null,
                time,
                loggerFactory.CreateLogger("QwenFastProxy.Streaming")),
            UpstreamIdentity.For(options, upstreamBaseUrl));
        var router = new ProxyRouter(
            forwarder,
            credentials,
            new ClientKeyGate(options.ProxyApiKeys),
            rewriteUnknownModels: !options.ApiKeyMode,
            options.DefaultModel,
            Circuit,
            Metrics,
            time,
            QwenPlan.For(options, upstreamBaseUrl)?.Name,
            // Only the repairing relay reads frames, so only it can take back the usage the proxy asked for.
            options.StutterFilter ? options.RequestShaping : options.RequestShaping & ~RequestShaping.StreamUsage,
            options.ModelAliases,
            options.ApiKeyMode
                ? new ModelListCache(_upstreamClient, credentials, upstreamBaseUrl, UpstreamIdentity.For(options, upstreamBaseUrl).OwnUserAgent, time ?? TimeProvider.System)
                : null,
            Usage,
            new MessagesEndpoint(
                forwarder,
                options.EffectiveAnthropicMode,
                ApiBaseUrl.AnthropicFor(options.AnthropicBaseUrl, upstreamBaseUrl),
                rewriteUnknownModels: !options.ApiKeyMode,
                options.DefaultModel,
                options.ModelAliases,
                Metrics));
        var limits = new HttpLimits(options.MaxRequestHeaderBytes, options.MaxRequestBodyBytes, options.HeadersTimeout, options.KeepAliveTimeout,
            options.MinRequestBodyBytesPerSecond, options.MinRequestBodyDataRateGracePeriod, options.MaxHeldPipelinedResponses);
        ConnectionHandler = new MeteredConnectionHandler(new ProxyConnectionHandler(router, limits, new AccessLog(loggerFactory, Metrics, Usage), time), Metrics);
    }

    /// <summary>The settings the proxy runs with.</summary>
    public ProxyOptions Options { get; }

    /// <summary>The upstream's circuit breaker (<c>CIRCUIT_BREAKER_FAILURES</c>, <c>CIRCUIT_BREAKER_RESET_SECONDS</c>).</summary>
    internal CircuitBreaker Circuit { get; }

    /// <summary>The proxy's figures (the <c>QwenFastProxy</c> meter, <c>/metrics</c>, <c>/status.json</c>).</summary>
    public ProxyMetrics Metrics { get; }

    /// <summary>Usage per client key and model (<c>/usage</c>), persisted under STATE_DIR.</summary>
    internal UsageLedger Usage { get; }

    /// <summary>The upstream API base requests go to.</summary>
    public string UpstreamBaseUrl { get; }

    /// <summary>The handler to run on each accepted connection.</summary>
    public ConnectionHandler ConnectionHandler { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Usage.Dispose(); // writes the rows still queued
        _upstreamClient.Dispose();
        Metrics.Dispose();
    }
}
