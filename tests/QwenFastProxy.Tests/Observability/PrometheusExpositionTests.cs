using System.Buffers;
using System.Globalization;
using System.Text;
using QwenFastProxy.Observability;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.Tests.Observability;

public sealed class PrometheusExpositionTests
{
    private static readonly string[] MetricTypes = ["counter", "gauge", "histogram"];

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\"b", "a\\\"b")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("line\nbreak", "line\\nbreak")]
    [InlineData("\\\"\n", "\\\\\\\"\\n")]
    public void LabelValuesAreEscaped(string value, string expected) =>
        Assert.Equal(expected, PrometheusExposition.EscapeLabelValue(value));

    [Fact]
    public void HelpTextEscapesBackslashAndNewlineOnly() =>
        Assert.Equal("a \\\\ \"q\" \\n b", PrometheusExposition.EscapeHelp("a \\ \"q\" \n b"));

    [Theory]
    [InlineData(0.005, "0.005")]
    [InlineData(1, "1")]
    [InlineData(2.5, "2.5")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void BoundsAreFormattedAsPrometheusExpects(double bound, string expected) =>
        Assert.Equal(expected, PrometheusExposition.FormatBound(bound));

    [Fact]
    public void EveryFamilyHasHelpAndTypeAndEverySampleBelongsToADeclaredFamily()
    {
        using var metrics = new ProxyMetrics();
        metrics.RequestCompleted(MetricRoute.Chat, 200, 5, 7, 0.02, 0.3, 2, 9);
        var text = Write(metrics, ready: true);

        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var types = new Dictionary<string, string>();
        var helps = new HashSet<string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.True(types.TryAdd(parts[2], parts[3]), "family declared twice: " + parts[2]);
                Assert.Contains(parts[3], MetricTypes);
                Assert.Contains(parts[2], helps); // HELP comes first
                continue;
            }
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                helps.Add(line.Split(' ')[2]);
                continue;
            }
            var name = line[..line.IndexOfAny(['{', ' '])];
            var family = types.Keys.Single(f => name == f || (types[f] == "histogram" && (name == f + "_bucket" || name == f + "_sum" || name == f + "_count")));
            if (types[family] == "counter")
            {
                Assert.EndsWith("_total", family, StringComparison.Ordinal);
            }
            var value = line[(line.LastIndexOf(' ') + 1)..];
            Assert.True(double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _), "not a number: " + line);
        }
        Assert.Contains("qwenfastproxy_time_to_first_byte_seconds", types.Keys);
        Assert.Equal("histogram", types["qwenfastproxy_request_duration_seconds"]);
    }

    [Fact]
    public void SamplesCarryTheFigures()
    {
        using var metrics = new ProxyMetrics();
        metrics.RequestCompleted(MetricRoute.Chat, 200, 5, 7, 0.02, 0.3, 2, 9);
        metrics.RequestCompleted(MetricRoute.Passthrough, 404, 0, 3, 0.001, 0.001, 0, 0);
        metrics.UpstreamAttempt();
        metrics.UpstreamRetry();
        var samples = Parse(Write(metrics, ready: false));

        Assert.Equal(1, samples["qwenfastproxy_requests_total{route=\"chat\",status_class=\"2xx\"}"]);
        Assert.Equal(1, samples["qwenfastproxy_requests_total{route=\"passthrough\",status_class=\"4xx\"}"]);
        Assert.Equal(0, samples["qwenfastproxy_requests_total{route=\"models\",status_class=\"2xx\"}"]);
        Assert.Equal(1, samples["qwenfastproxy_upstream_attempts_total"]);
        Assert.Equal(1, samples["qwenfastproxy_upstream_retries_total"]);
        Assert.Equal(2, samples["qwenfastproxy_stutter_chunks_repaired_total"]);
        Assert.Equal(9, samples["qwenfastproxy_stutter_bytes_removed_total"]);
        Assert.Equal(5, samples["qwenfastproxy_request_bytes_total"]);
        Assert.Equal(10, samples["qwenfastproxy_response_bytes_total"]);
        Assert.Equal(0, samples["qwenfastproxy_ready"]);
        Assert.Equal(0, samples["qwenfastproxy_circuit_state"]);
    }

    [Fact]
    public void ProcessFiguresFollowTheRuntime()
    {
        using var metrics = new ProxyMetrics();
        var before = Parse(Write(metrics, ready: true));
        GC.KeepAlive(new byte[64 * 1024]); // allocated between the two scrapes
        GC.Collect(0);
        var after = Parse(Write(metrics, ready: true));

        Assert.True(after["qwenfastproxy_allocated_bytes_total"] >= before["qwenfastproxy_allocated_bytes_total"] + 64 * 1024);
        Assert.True(after["qwenfastproxy_gc_collections_total{generation=\"0\"}"] > before["qwenfastproxy_gc_collections_total{generation=\"0\"}"]);
        Assert.Contains("qwenfastproxy_gc_collections_total{generation=\"2\"}", after.Keys);
        Assert.True(after["qwenfastproxy_gc_heap_bytes"] > 0);
    }

    [Fact]
    public void HistogramRowsAreCumulativeAndEndWithInfEqualToCount()
    {
        using var metrics = new ProxyMetrics();
        foreach (var seconds in new[] { 0.0005, 0.003, 0.003, 0.2, 3, 1000 })
        {
            metrics.RequestCompleted(MetricRoute.Other, 200, 0, 0, seconds, seconds, 0, 0);
        }
        var samples = Parse(Write(metrics, ready: true));
        const string name = "qwenfastproxy_request_duration_seconds";

        Assert.Equal(1, samples[name + "_bucket{le=\"0.001\"}"]);
        Assert.Equal(3, samples[name + "_bucket{le=\"0.005\"}"]);
        Assert.Equal(4, samples[name + "_bucket{le=\"0.25\"}"]);
        Assert.Equal(5, samples[name + "_bucket{le=\"5\"}"]);
        Assert.Equal(5, samples[name + "_bucket{le=\"900\"}"]);
        Assert.Equal(6, samples[name + "_bucket{le=\"+Inf\"}"]);
        Assert.Equal(6, samples[name + "_count"]);
        Assert.Equal(1003.2065, samples[name + "_sum"], 4);

        var previous = 0.0;
        foreach (var bound in ProxyMetrics.DurationBounds)
        {
            var value = samples[name + "_bucket{le=\"" + PrometheusExposition.FormatBound(bound) + "\"}"];
            Assert.True(value >= previous);
            previous = value;
        }
    }

    internal static string Write(ProxyMetrics metrics, bool ready)
    {
        var buffer = new ArrayBufferWriter<byte>();
        PrometheusExposition.Write(buffer, metrics, ready);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static Dictionary<string, double> Parse(string text) => PrometheusText.Parse(text);
}
