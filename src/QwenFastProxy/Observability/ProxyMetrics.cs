using System.Diagnostics.Metrics;
using QwenFastProxy.Auth;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Observability;

/// <summary>
/// The proxy's figures. Counting is lock-free and allocation-free: interlocked adds on long fields and on an array
/// indexed by (<see cref="MetricRoute"/>, <see cref="StatusClass"/>). The <see cref="Meter"/> named
/// <c>QwenFastProxy</c> publishes them through observable instruments (read when a listener such as
/// <c>dotnet-counters</c> collects) plus two histograms; <c>GET /metrics</c> writes the same figures in Prometheus
/// text (<see cref="PrometheusExposition"/>). Nothing here ever holds a token, key, path or body.
/// </summary>
public sealed class ProxyMetrics : IDisposable
{
    /// <summary>The meter's name, for <c>dotnet-counters monitor --counters QwenFastProxy</c>.</summary>
    public const string MeterName = "QwenFastProxy";

    /// <summary>Upper bounds, seconds, of the time-to-first-byte histogram.</summary>
    public static ReadOnlySpan<double> TimeToFirstByteBounds => [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>Upper bounds, seconds, of the request-duration histogram.</summary>
    public static ReadOnlySpan<double> DurationBounds => [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

    private readonly long[] _requests = new long[MetricClassifier.RouteCount * MetricClassifier.StatusClassCount];
    private readonly CircuitBreaker? _circuit;
    private readonly OAuthTokenProvider? _tokens;
    private readonly Meter _meter;
    private readonly Histogram<double> _ttfbInstrument;
    private readonly Histogram<double> _durationInstrument;
    private long _upstreamAttempts;
    private long _upstreamRetries;
    private long _stutterChunks;
    private long _stutterBytes;
    private long _activeConnections;
    private long _connections;
    private long _activeStreams;
    private long _bytesIn;
    private long _bytesOut;
    private long _circuitOpens;

    /// <summary>Creates the registry and its meter.</summary>
    /// <param name="circuit">The upstream's breaker (state gauge, opens), or null.</param>
    /// <param name="credentials">Upstream credentials: OAuth tokens report their refreshes.</param>
    internal ProxyMetrics(CircuitBreaker? circuit = null, IUpstreamCredentials? credentials = null)
    {
        _circuit = circuit;
        _tokens = credentials as OAuthTokenProvider;
        TimeToFirstByte = new FixedHistogram(TimeToFirstByteBounds);
        Duration = new FixedHistogram(DurationBounds);
        if (circuit is not null)
        {
            circuit.StateChanged += change =>
            {
                if (change.To == CircuitState.Open)
                {
                    Interlocked.Increment(ref _circuitOpens);
                }
            };
        }

        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("qwenfastproxy.requests", ObserveRequests, "{request}", "Requests answered, by route and status class");
        _meter.CreateObservableCounter("qwenfastproxy.upstream.attempts", () => UpstreamAttempts, "{attempt}", "Requests sent upstream, retries and token renewals included");
        _meter.CreateObservableCounter("qwenfastproxy.upstream.retries", () => UpstreamRetries, "{retry}", "Upstream attempts that were retries");
        _meter.CreateObservableGauge("qwenfastproxy.circuit.state", () => CircuitStateValue, null, "Circuit breaker: 0 closed, 1 open, 2 half-open");
        _meter.CreateObservableCounter("qwenfastproxy.circuit.opens", () => CircuitOpens, "{open}", "Times the circuit breaker opened");
        _meter.CreateObservableCounter("qwenfastproxy.stutter.chunks_repaired", () => StutterChunksRepaired, "{chunk}", "Stream chunks whose repeated text was removed");
        _meter.CreateObservableCounter("qwenfastproxy.stutter.bytes_removed", () => StutterBytesRemoved, "By", "Bytes of repeated stream text kept from clients");
        _meter.CreateObservableUpDownCounter("qwenfastproxy.connections.active", () => ActiveConnections, "{connection}", "Client connections open");
        _meter.CreateObservableCounter("qwenfastproxy.connections", () => Connections, "{connection}", "Client connections accepted");
        _meter.CreateObservableUpDownCounter("qwenfastproxy.streams.active", () => ActiveStreams, "{stream}", "Streaming chat completions in flight");
        _meter.CreateObservableCounter("qwenfastproxy.request.bytes", () => BytesIn, "By", "Request body bytes received from clients");
        _meter.CreateObservableCounter("qwenfastproxy.response.bytes", () => BytesOut, "By", "Response body bytes sent to clients");
        _meter.CreateObservableCounter("qwenfastproxy.token.refreshes", () => TokenRefreshes, "{refresh}", "OAuth access token refreshes");
        _meter.CreateObservableCounter("qwenfastproxy.token.refresh_failures", () => TokenRefreshFailures, "{failure}", "OAuth access token refreshes that failed");
        _ttfbInstrument = _meter.CreateHistogram<double>("qwenfastproxy.time_to_first_byte", "s", "Time from request head to first response byte");
        _durationInstrument = _meter.CreateHistogram<double>("qwenfastproxy.request.duration", "s", "Time from request head to end of response");
    }

    /// <summary>This registry's meter (several proxies in one process each have their own).</summary>
    internal Meter Meter => _meter;

    /// <summary>Time to first byte, seconds.</summary>
    public FixedHistogram TimeToFirstByte { get; }

    /// <summary>Whole request duration, seconds.</summary>
    public FixedHistogram Duration { get; }

    /// <summary>Upstream attempts (first tries, retries, token renewals).</summary>
    public long UpstreamAttempts => Interlocked.Read(ref _upstreamAttempts);

    /// <summary>Upstream attempts that were retries.</summary>
    public long UpstreamRetries => Interlocked.Read(ref _upstreamRetries);

    /// <summary>Stream chunks repaired.</summary>
    public long StutterChunksRepaired => Interlocked.Read(ref _stutterChunks);

    /// <summary>Stream bytes removed by the repair.</summary>
    public long StutterBytesRemoved => Interlocked.Read(ref _stutterBytes);

    /// <summary>Client connections open now.</summary>
    public long ActiveConnections => Interlocked.Read(ref _activeConnections);

    /// <summary>Client connections accepted since start.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Streaming chat completions in flight.</summary>
    public long ActiveStreams => Interlocked.Read(ref _activeStreams);

    /// <summary>Request body bytes received.</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Response body bytes sent.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>Times the circuit opened.</summary>
    public long CircuitOpens => Interlocked.Read(ref _circuitOpens);

    /// <summary>The circuit state as a number: 0 closed, 1 open, 2 half-open (the <see cref="CircuitState"/> values).</summary>
    public int CircuitStateValue => _circuit is null ? 0 : (int)_circuit.State;

    /// <summary>OAuth refreshes done by this process (0 in API-key mode).</summary>
    public long TokenRefreshes => _tokens?.RefreshCount ?? 0;

    /// <summary>OAuth refreshes that failed (0 in API-key mode).</summary>
    public long TokenRefreshFailures => _tokens?.RefreshFailureCount ?? 0;

    /// <summary>Requests counted for one route and status class.</summary>
    public long Requests(MetricRoute route, StatusClass statusClass) =>
        Interlocked.Read(ref _requests[((int)route * MetricClassifier.StatusClassCount) + (int)statusClass]);

    /// <summary>All requests counted.</summary>
    public long TotalRequests => Sum(static _ => true);

    /// <summary>Requests answered with a 5xx.</summary>
    public long ServerErrors => Sum(static c => c == StatusClass.ServerError);

    /// <summary>Records one finished exchange.</summary>
    /// <param name="route">Its route.</param>
    /// <param name="status">The status sent (0: none).</param>
    /// <param name="requestBytes">Request body bytes.</param>
    /// <param name="responseBytes">Response body bytes.</param>
    /// <param name="ttfbSeconds">Time to first byte, or negative when no byte was sent.</param>
    /// <param name="durationSeconds">Whole duration.</param>
    /// <param name="stutterChunks">Chunks the stream repair changed.</param>
    /// <param name="stutterBytes">Bytes the stream repair removed.</param>
    public void RequestCompleted(MetricRoute route, int status, long requestBytes, long responseBytes, double ttfbSeconds, double durationSeconds, int stutterChunks, long stutterBytes)
    {
        Interlocked.Increment(ref _requests[((int)route * MetricClassifier.StatusClassCount) + (int)MetricClassifier.Class(status)]);
        if (requestBytes > 0)
        {
            Interlocked.Add(ref _bytesIn, requestBytes);
        }
        if (responseBytes > 0)
        {
            Interlocked.Add(ref _bytesOut, responseBytes);
        }
        if (stutterChunks > 0)
        {
            Interlocked.Add(ref _stutterChunks, stutterChunks);
            Interlocked.Add(ref _stutterBytes, stutterBytes);
        }
        if (ttfbSeconds >= 0)
        {
            TimeToFirstByte.Record(ttfbSeconds);
            _ttfbInstrument.Record(ttfbSeconds);
        }
        Duration.Record(durationSeconds);
        _durationInstrument.Record(durationSeconds);
    }

    /// <summary>An upstream attempt is about to be sent.</summary>
    public void UpstreamAttempt() => Interlocked.Increment(ref _upstreamAttempts);

    /// <summary>A failed attempt is being retried.</summary>
    public void UpstreamRetry() => Interlocked.Increment(ref _upstreamRetries);

    /// <summary>A client connection was accepted.</summary>
    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _activeConnections);
    }

    /// <summary>A client connection ended.</summary>
    public void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);

    /// <summary>A streaming chat completion started.</summary>
    public void StreamStarted() => Interlocked.Increment(ref _activeStreams);

    /// <summary>A streaming chat completion ended.</summary>
    public void StreamEnded() => Interlocked.Decrement(ref _activeStreams);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private long Sum(Func<StatusClass, bool> include)
    {
        long total = 0;
        for (var i = 0; i < _requests.Length; i++)
        {
            if (include((StatusClass)(i % MetricClassifier.StatusClassCount)))
            {
                total += Interlocked.Read(ref _requests[i]);
            }
        }
        return total;
    }

    private static readonly KeyValuePair<string, object?>[][] RequestTags = BuildRequestTags();

    private static KeyValuePair<string, object?>[][] BuildRequestTags()
    {
        var tags = new KeyValuePair<string, object?>[MetricClassifier.RouteCount * MetricClassifier.StatusClassCount][];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] =
            [
                new("route", MetricClassifier.Name((MetricRoute)(i / MetricClassifier.StatusClassCount))),
                new("status_class", MetricClassifier.Name((StatusClass)(i % MetricClassifier.StatusClassCount))),
            ];
        }
        return tags;
    }

    // Called by a listener's collection, not per request: only cells that were ever used are reported.
    private List<Measurement<long>> ObserveRequests()
    {
        var list = new List<Measurement<long>>();
        for (var i = 0; i < _requests.Length; i++)
        {
            var value = Interlocked.Read(ref _requests[i]);
            if (value != 0)
            {
                list.Add(new Measurement<long>(value, RequestTags[i]));
            }
        }
        return list;
    }
}
