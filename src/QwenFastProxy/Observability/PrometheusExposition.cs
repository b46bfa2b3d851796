using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace QwenFastProxy.Observability;

/// <summary>
/// Writes <see cref="ProxyMetrics"/> in the Prometheus text exposition format 0.0.4. Every name, label set and
/// <c># HELP</c>/<c># TYPE</c> block is built once as bytes; a scrape only formats numbers.
/// </summary>
internal static class PrometheusExposition
{
    /// <summary>The header line of a scrape answer.</summary>
    public static ReadOnlySpan<byte> ContentTypeHeader => "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"u8;

    private static readonly byte[] RequestsHeader = Header("qwenfastproxy_requests_total", "counter", "Requests answered, by route and status class.");
    private static readonly byte[][] RequestSamples = BuildRequestSamples();
    private static readonly byte[] AttemptsBlock = Header("qwenfastproxy_upstream_attempts_total", "counter", "Requests sent upstream, retries and token renewals included.", sample: true);
    private static readonly byte[] RetriesBlock = Header("qwenfastproxy_upstream_retries_total", "counter", "Upstream attempts that were retries.", sample: true);
    private static readonly byte[] CircuitStateBlock = Header("qwenfastproxy_circuit_state", "gauge", "Circuit breaker state: 0 closed, 1 open, 2 half-open.", sample: true);
    private static readonly byte[] CircuitOpensBlock = Header("qwenfastproxy_circuit_opens_total", "counter", "Times the circuit breaker opened.", sample: true);
    private static readonly byte[] ReadyBlock = Header("qwenfastproxy_ready", "gauge", "1 when credentials are usable and the circuit lets requests through (as /readyz), else 0.", sample: true);
    private static readonly byte[] StutterChunksBlock = Header("qwenfastproxy_stutter_chunks_repaired_total", "counter", "Stream chunks whose repeated text the repair removed.", sample: true);
    private static readonly byte[] StutterBytesBlock = Header("qwenfastproxy_stutter_bytes_removed_total", "counter", "Bytes of repeated stream text kept from clients.", sample: true);
    private static readonly byte[] ActiveConnectionsBlock = Header("qwenfastproxy_active_connections", "gauge", "Client connections open.", sample: true);
    private static readonly byte[] ConnectionsBlock = Header("qwenfastproxy_connections_total", "counter", "Client connections accepted.", sample: true);
    private static readonly byte[] ActiveStreamsBlock = Header("qwenfastproxy_active_streams", "gauge", "Streaming chat completions in flight.", sample: true);
    private static readonly byte[] BytesInBlock = Header("qwenfastproxy_request_bytes_total", "counter", "Request body bytes received from clients.", sample: true);
    private static readonly byte[] BytesOutBlock = Header("qwenfastproxy_response_bytes_total", "counter", "Response body bytes sent to clients.", sample: true);
    private static readonly byte[] RefreshesBlock = Header("qwenfastproxy_token_refreshes_total", "counter", "OAuth access token refreshes done by this process.", sample: true);
    private static readonly byte[] RefreshFailuresBlock = Header("qwenfastproxy_token_refresh_failures_total", "counter", "OAuth access token refreshes that failed.", sample: true);
    private static readonly byte[] AllocatedBlock = Header("qwenfastproxy_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since start (GC.GetTotalAllocatedBytes).", sample: true);
    private static readonly byte[] CollectionsHeader = Header("qwenfastproxy_gc_collections_total", "counter", "Garbage collections since start, by generation.");
    private static readonly byte[][] CollectionSamples = [.. Enumerable.Range(0, 3).Select(g => Encoding.UTF8.GetBytes($"qwenfastproxy_gc_collections_total{{generation=\"{g}\"}} "))];
    private static readonly byte[] HeapBlock = Header("qwenfastproxy_gc_heap_bytes", "gauge", "Managed heap size after the last collection.", sample: true);
    private static readonly byte[] UsageRequestsHeader = Header("qwenfastproxy_usage_requests_total", "counter", "Model requests since start, by client key label and model.");
    private static readonly byte[] UsageErrorsHeader = Header("qwenfastproxy_usage_errors_total", "counter", "Model requests that failed since start, by client key label and model.");
    private static readonly byte[] UsageTokensHeader = Header("qwenfastproxy_usage_tokens_total", "counter", "Tokens the upstream reported since start, by client key label, model and type (prompt includes cached, completion includes reasoning).");
    private static readonly HistogramNames Ttfb = new("qwenfastproxy_time_to_first_byte_seconds", "Time from the complete request head to the first response byte.", ProxyMetrics.TimeToFirstByteBounds);
    private static readonly HistogramNames Duration = new("qwenfastproxy_request_duration_seconds", "Time from the complete request head to the end of the response.", ProxyMetrics.DurationBounds);

    /// <summary>Writes every metric of <paramref name="metrics"/>.</summary>
    /// <param name="output">Where the text goes.</param>
    /// <param name="metrics">The figures.</param>
    /// <param name="ready">Readiness as <c>/readyz</c> reports it.</param>
    /// <param name="usage">Usage per client key and model, when the proxy keeps it.</param>
    public static void Write(IBufferWriter<byte> output, ProxyMetrics metrics, bool ready, UsageLedger? usage = null)
    {
        output.Write(RequestsHeader);
        for (var i = 0; i < RequestSamples.Length; i++)
        {
            var route = (MetricRoute)(i / MetricClassifier.StatusClassCount);
            var statusClass = (StatusClass)(i % MetricClassifier.StatusClassCount);
            Sample(output, RequestSamples[i], metrics.Requests(route, statusClass));
        }
        Sample(output, AttemptsBlock, metrics.UpstreamAttempts);
        Sample(output, RetriesBlock, metrics.UpstreamRetries);
        Sample(output, CircuitStateBlock, metrics.CircuitStateValue);
        Sample(output, CircuitOpensBlock, metrics.CircuitOpens);
        Sample(output, ReadyBlock, ready ? 1 : 0);
        Sample(output, StutterChunksBlock, metrics.StutterChunksRepaired);
        Sample(output, StutterBytesBlock, metrics.StutterBytesRemoved);
        Sample(output, ActiveConnectionsBlock, metrics.ActiveConnections);
        Sample(output, ConnectionsBlock, metrics.Connections);
        Sample(output, ActiveStreamsBlock, metrics.ActiveStreams);
        Sample(output, BytesInBlock, metrics.BytesIn);
        Sample(output, BytesOutBlock, metrics.BytesOut);
        Sample(output, RefreshesBlock, metrics.TokenRefreshes);
        Sample(output, RefreshFailuresBlock, metrics.TokenRefreshFailures);
        // Process figures: allocation per request is what the hot paths are judged by.
        Sample(output, AllocatedBlock, GC.GetTotalAllocatedBytes(precise: false));
        output.Write(CollectionsHeader);
        for (var generation = 0; generation < CollectionSamples.Length; generation++)
        {
            Sample(output, CollectionSamples[generation], GC.CollectionCount(generation));
        }
        Sample(output, HeapBlock, GC.GetGCMemoryInfo().HeapSizeBytes);
        WriteHistogram(output, Ttfb, metrics.TimeToFirstByte);
        WriteHistogram(output, Duration, metrics.Duration);
        if (usage is not null)
        {
            WriteUsage(output, usage.SinceStart());
        }
    }

    // Labelled by key and model, so built per scrape: a cold path, and the label sets are bounded by the ledger.
    private static void WriteUsage(IBufferWriter<byte> output, List<UsageRow> rows)
    {
        output.Write(UsageRequestsHeader);
        foreach (var row in rows)
        {
            UsageSample(output, "qwenfastproxy_usage_requests_total", row, type: null, row.Totals.Requests);
        }
        output.Write(UsageErrorsHeader);
        foreach (var row in rows)
        {
            UsageSample(output, "qwenfastproxy_usage_errors_total", row, type: null, row.Totals.Errors);
        }
        output.Write(UsageTokensHeader);
        foreach (var row in rows)
        {
            UsageSample(output, "qwenfastproxy_usage_tokens_total", row, "prompt", row.Totals.PromptTokens);
            UsageSample(output, "qwenfastproxy_usage_tokens_total", row, "completion", row.Totals.CompletionTokens);
            UsageSample(output, "qwenfastproxy_usage_tokens_total", row, "cached", row.Totals.CachedTokens);
            UsageSample(output, "qwenfastproxy_usage_tokens_total", row, "reasoning", row.Totals.ReasoningTokens);
        }
    }

    private static void UsageSample(IBufferWriter<byte> output, string name, UsageRow row, string? type, long value)
    {
        var labels = type is null
            ? $"{name}{{key=\"{EscapeLabelValue(row.Key!)}\",model=\"{EscapeLabelValue(row.Model!)}\"}} "
            : $"{name}{{key=\"{EscapeLabelValue(row.Key!)}\",model=\"{EscapeLabelValue(row.Model!)}\",type=\"{type}\"}} ";
        Sample(output, Encoding.UTF8.GetBytes(labels), value);
    }

    /// <summary>Escapes a label value: backslash, double quote and line feed (the format's three escapes).</summary>
    public static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            return value;
        }
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '"' => builder.Append("\\\""),
                '\n' => builder.Append(@"\n"),
                _ => builder.Append(c),
            };
        }
        return builder.ToString();
    }

    /// <summary>Escapes <c># HELP</c> text: backslash and line feed.</summary>
    public static string EscapeHelp(string value) => value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>A bucket bound as Prometheus writes it (<c>0.005</c>, <c>1</c>, <c>+Inf</c>).</summary>
    public static string FormatBound(double bound) =>
        double.IsPositiveInfinity(bound) ? "+Inf" : bound.ToString("R", CultureInfo.InvariantCulture);

    private static byte[] Header(string name, string type, string help, bool sample = false) =>
        Encoding.UTF8.GetBytes($"# HELP {name} {EscapeHelp(help)}\n# TYPE {name} {type}\n{(sample ? name + " " : "")}");

    private static byte[][] BuildRequestSamples()
    {
        var samples = new byte[MetricClassifier.RouteCount * MetricClassifier.StatusClassCount][];
        for (var i = 0; i < samples.Length; i++)
        {
            var route = MetricClassifier.Name((MetricRoute)(i / MetricClassifier.StatusClassCount));
            var statusClass = MetricClassifier.Name((StatusClass)(i % MetricClassifier.StatusClassCount));
            samples[i] = Encoding.UTF8.GetBytes($"qwenfastproxy_requests_total{{route=\"{EscapeLabelValue(route)}\",status_class=\"{EscapeLabelValue(statusClass)}\"}} ");
        }
        return samples;
    }

    private static void WriteHistogram(IBufferWriter<byte> output, HistogramNames names, FixedHistogram histogram)
    {
        Span<long> cumulative = stackalloc long[names.Buckets.Length];
        histogram.CopyCumulative(cumulative);
        output.Write(names.Header);
        for (var i = 0; i < names.Buckets.Length; i++)
        {
            Sample(output, names.Buckets[i], cumulative[i]);
        }
        output.Write(names.Sum);
        WriteDouble(output, histogram.SumSeconds);
        output.Write("\n"u8);
        Sample(output, names.Count, cumulative[^1]);
    }

    private static void Sample(IBufferWriter<byte> output, ReadOnlySpan<byte> prefix, long value)
    {
        output.Write(prefix);
        var span = output.GetSpan(24);
        Utf8Formatter.TryFormat(value, span, out var written);
        span[written] = (byte)'\n';
        output.Advance(written + 1);
    }

    private static void WriteDouble(IBufferWriter<byte> output, double value)
    {
        var span = output.GetSpan(32);
        value.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private sealed class HistogramNames
    {
        public HistogramNames(string name, string help, ReadOnlySpan<double> bounds)
        {
            Header = PrometheusExposition.Header(name, "histogram", help);
            Buckets = new byte[bounds.Length + 1][];
            for (var i = 0; i <= bounds.Length; i++)
            {
                var le = FormatBound(i < bounds.Length ? bounds[i] : double.PositiveInfinity);
                Buckets[i] = Encoding.UTF8.GetBytes($"{name}_bucket{{le=\"{EscapeLabelValue(le)}\"}} ");
            }
            Sum = Encoding.UTF8.GetBytes(name + "_sum ");
            Count = Encoding.UTF8.GetBytes(name + "_count ");
        }

        public byte[] Header { get; }

        public byte[][] Buckets { get; }

        public byte[] Sum { get; }

        public byte[] Count { get; }
    }
}
