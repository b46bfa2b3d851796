using System.Net;
using System.Text.Json;
using QwenFastProxy.IntegrationTests.Infrastructure;
using static QwenFastProxy.IntegrationTests.Resilience.ResilienceClient;

namespace QwenFastProxy.IntegrationTests.Resilience;

/// <summary>
/// Each simulator fault through the real proxy: what is retried (and how many upstream attempts it took, counted by
/// the simulator per <c>X-Sim-Request-Id</c>), what is passed through untouched, and how a stream that fails after
/// its first byte ends.
/// </summary>
public sealed class RetryThroughProxyTests
{
    [Theory]
    [InlineData("500")]
    [InlineData("502")]
    [InlineData("503")]
    [InlineData("reset")]
    public async Task TransientFailuresBeforeTheHeadAreRetriedUntilOneSucceeds(string kind)
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3 });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, kind + ";first=2");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("chat.completion", doc.RootElement.GetProperty("object").GetString());
        Assert.Equal(3, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task AStreamThatFailedBeforeItsHeadIsRetriedAndStreamsWhole()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3 });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, StreamRequest, id, "503;first=1");
        var frames = Frames(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", ContentType(response)?.MediaType);
        Assert.Equal("data: [DONE]", frames[^1]);
        Assert.DoesNotContain(frames, f => f.Contains("\"error\"", StringComparison.Ordinal));
        Assert.Equal(2, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task WhenRetriesAreSpentTheLastUpstreamErrorIsPassedThroughUnchanged()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 2 });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, "500");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("internal_error", (await ErrorAsync(response)).GetProperty("code").GetString());
        Assert.Equal(3, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task RateLimitIsRetriedAfterTheUpstreamsRetryAfter()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3 });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, "429;first=1;retry-after=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task QuotaExhaustionIsNotRetriedAndReachesTheClientWithItsMessage()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3 });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, "quota");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal("insufficient_quota", error.GetProperty("code").GetString());
        // The proxy says it is billing, then quotes the upstream.
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith("This is billing, not a rate limit", message, StringComparison.Ordinal);
        Assert.EndsWith("Upstream said: Free allocated quota exceeded.", message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task ClientErrorsAreNeverRetried()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3 });
        using var client = Create(harness);
        var id = NewId();

        // The simulator answers a fault header it cannot parse with 400 (and counts the attempt).
        using var response = await PostAsync(client, TextRequest, id, "no-such-fault");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task AResetMidStreamIsNotRetriedAndEndsWithAnErrorFrameAndDone()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3 });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, StreamRequest, id, "reset-mid-stream;after=2");
        var frames = Frames(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("data: [DONE]", frames[^1]);
        using var error = JsonDocument.Parse(frames[^2]["data: ".Length..]);
        Assert.Equal("upstream_interrupted", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task AStalledStreamEndsCleanlyAfterTheReadTimeout()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3, ReadTimeout = TimeSpan.FromSeconds(1) });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, StreamRequest, id, "stall;after=1");
        var frames = Frames(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("data: [DONE]", frames[^1]);
        using var error = JsonDocument.Parse(frames[^2]["data: ".Length..]);
        Assert.Equal("upstream_timeout", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task SimulatorHeadersAreNotForwardedUnlessTheEmbedderAsks()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ForwardSimulatorHeaders = false });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, "500");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, harness.Simulator.Attempts(id));
    }
}
