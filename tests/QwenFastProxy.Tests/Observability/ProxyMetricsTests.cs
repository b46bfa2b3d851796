using System.Diagnostics.Metrics;
using QwenFastProxy.Observability;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Tests.Observability;

public sealed class ProxyMetricsTests
{
    [Theory]
    [InlineData("/v1/chat/completions", MetricRoute.Chat)]
    [InlineData("/v1/models", MetricRoute.Models)]
    [InlineData("/v1/embeddings", MetricRoute.Passthrough)]
    [InlineData("/v1/chat/completions/x", MetricRoute.Passthrough)]
    [InlineData("/healthz", MetricRoute.Health)]
    [InlineData("/readyz", MetricRoute.Health)]
    [InlineData("/metrics", MetricRoute.Other)]
    [InlineData("/", MetricRoute.Other)]
    [InlineData("", MetricRoute.Other)]
    public void RoutesAreClassifiedByPath(string path, MetricRoute expected) =>
        Assert.Equal(expected, MetricClassifier.Route(QwenFastProxy.Http.RequestRoutes.Of(System.Text.Encoding.ASCII.GetBytes(path))));

    [Theory]
    [InlineData(200, StatusClass.Success)]
    [InlineData(204, StatusClass.Success)]
    [InlineData(301, StatusClass.Redirect)]
    [InlineData(400, StatusClass.ClientError)]
    [InlineData(499, StatusClass.ClientError)]
    [InlineData(500, StatusClass.ServerError)]
    [InlineData(504, StatusClass.ServerError)]
    [InlineData(0, StatusClass.None)]
    public void StatusesAreClassified(int status, StatusClass expected) => Assert.Equal(expected, MetricClassifier.Class(status));

    [Fact]
    public void RequestCompletedCountsEveryFigure()
    {
        using var metrics = new ProxyMetrics();
        metrics.RequestCompleted(MetricRoute.Chat, 200, 100, 1000, 0.02, 0.5, 3, 42);
        metrics.RequestCompleted(MetricRoute.Chat, 502, 10, 20, -1, 0.1, 0, 0);
        metrics.RequestCompleted(MetricRoute.Health, 200, 0, 15, 0.001, 0.001, 0, 0);

        Assert.Equal(1, metrics.Requests(MetricRoute.Chat, StatusClass.Success));
        Assert.Equal(1, metrics.Requests(MetricRoute.Chat, StatusClass.ServerError));
        Assert.Equal(1, metrics.Requests(MetricRoute.Health, StatusClass.Success));
        Assert.Equal(0, metrics.Requests(MetricRoute.Models, StatusClass.Success));
        Assert.Equal(3, metrics.TotalRequests);
        Assert.Equal(1, metrics.ServerErrors);
        Assert.Equal(110, metrics.BytesIn);
        Assert.Equal(1035, metrics.BytesOut);
        Assert.Equal(3, metrics.StutterChunksRepaired);
        Assert.Equal(42, metrics.StutterBytesRemoved);
        Assert.Equal(2, metrics.TimeToFirstByte.Count); // the request without a first byte has no TTFB
        Assert.Equal(3, metrics.Duration.Count);
        Assert.Equal(0.601, metrics.Duration.SumSeconds, 6);
    }

    [Fact]
    public void ConnectionsStreamsAndAttemptsGoUpAndDown()
    {
        using var metrics = new ProxyMetrics();
        metrics.ConnectionOpened();
        metrics.ConnectionOpened();
        metrics.ConnectionClosed();
        metrics.StreamStarted();
        metrics.StreamStarted();
        metrics.StreamEnded();
        metrics.UpstreamAttempt();
        metrics.UpstreamAttempt();
        metrics.UpstreamRetry();

        Assert.Equal(2, metrics.Connections);
        Assert.Equal(1, metrics.ActiveConnections);
        Assert.Equal(1, metrics.ActiveStreams);
        Assert.Equal(2, metrics.UpstreamAttempts);
        Assert.Equal(1, metrics.UpstreamRetries);
    }

    [Fact]
    public void CircuitStateAndOpensFollowTheBreaker()
    {
        var circuit = new CircuitBreaker(1, TimeSpan.FromMinutes(1));
        using var metrics = new ProxyMetrics(circuit);
        Assert.Equal(0, metrics.CircuitStateValue);

        Assert.True(circuit.TryAcquire(out var lease));
        circuit.RecordFailure(lease);

        Assert.Equal((int)CircuitState.Open, metrics.CircuitStateValue);
        Assert.Equal(1, metrics.CircuitOpens);
    }

    [Fact]
    public void CountingARequestAllocatesNothing()
    {
        using var metrics = new ProxyMetrics();
        metrics.RequestCompleted(MetricRoute.Chat, 200, 1, 1, 0.01, 0.02, 1, 1); // warm up
        metrics.ConnectionOpened();
        metrics.ConnectionClosed();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            metrics.RequestCompleted((MetricRoute)(i % 5), 200 + (i % 4 * 100), 10, 20, 0.01 * (i % 7), 0.05 * (i % 11), i % 3, i % 5);
            metrics.ConnectionOpened();
            metrics.StreamStarted();
            metrics.UpstreamAttempt();
            metrics.UpstreamRetry();
            metrics.StreamEnded();
            metrics.ConnectionClosed();
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void TheMeterPublishesTheFiguresToListeners()
    {
        using var metrics = new ProxyMetrics();
        metrics.RequestCompleted(MetricRoute.Models, 200, 0, 10, 0.001, 0.002, 0, 0);
        metrics.RequestCompleted(MetricRoute.Models, 200, 0, 10, 0.001, 0.002, 0, 0);
        metrics.UpstreamAttempt();

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Other tests' registries publish on meters of the same name at the same time: listen to this one only.
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                key += "|" + tag.Key + "=" + tag.Value;
            }
            lock (seen)
            {
                seen[key] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(ProxyMetrics.MeterName, metrics.Meter.Name);
        Assert.Equal(2, seen["qwenfastproxy.requests|route=models|status_class=2xx"]);
        Assert.Equal(1, seen["qwenfastproxy.upstream.attempts"]);
        Assert.Equal(0, seen["qwenfastproxy.connections.active"]);
    }

    [Fact]
    public void HistogramBucketsAreInclusiveUpperBoundsAndCumulative()
    {
        var histogram = new FixedHistogram([0.1, 1, 10]);
        histogram.Record(0.05);
        histogram.Record(0.1);  // on the bound: le="0.1"
        histogram.Record(0.5);
        histogram.Record(10);
        histogram.Record(11);   // +Inf only
        histogram.Record(-3);   // clamped to 0

        Span<long> cumulative = stackalloc long[4];
        histogram.CopyCumulative(cumulative);

        Assert.Equal([3L, 4L, 5L, 6L], cumulative.ToArray());
        Assert.Equal(6, histogram.Count);
        Assert.Equal(21.65, histogram.SumSeconds, 6);
    }

    [Fact]
    public void HistogramBoundsMustAscend() =>
        Assert.Throws<ArgumentException>(() => new FixedHistogram([1, 1]));
}
