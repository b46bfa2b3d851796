using System.Net;
using System.Text;
using System.Text.Json;
using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests;

/// <summary>
/// The timeouts (REQUEST_TIMEOUT_SECONDS, STREAMING_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, and the headers timeout
/// towards a slow client) end requests with clear errors, never a hang.
/// </summary>
public sealed class TimeoutTests
{
    [Fact]
    public async Task SlowUpstreamGets504AfterTheRequestTimeout()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RequestTimeout = TimeSpan.FromSeconds(1) });
        harness.Simulator.Options.ResponseDelay = TimeSpan.FromSeconds(60);
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", Json("""{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("upstream_timeout", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        var upstream = Assert.Single(harness.Simulator.Requests.Snapshot());
        Assert.False(await upstream.Completed.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task SilentStreamEndsWithAnErrorFrameAndDone()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ReadTimeout = TimeSpan.FromSeconds(1) });
        harness.Simulator.Options.ChunkDelay = TimeSpan.FromSeconds(60);

        await StreamEndsWithTimeoutErrorAsync(harness);
    }

    [Fact]
    public async Task AStreamLongerThanTheStreamingTimeoutEndsWithAnErrorFrameAndDone()
    {
        // Chunks keep coming (no silence), but the whole stream outlives STREAMING_TIMEOUT_SECONDS.
        await using var harness = await ProxyHarness.StartAsync(o => o with { StreamingTimeout = TimeSpan.FromSeconds(1), ReadTimeout = TimeSpan.FromSeconds(30) });
        harness.Simulator.Options.ChunkCount = 200;
        harness.Simulator.Options.ChunkDelay = TimeSpan.FromMilliseconds(50);

        var frames = await StreamEndsWithTimeoutErrorAsync(harness);

        Assert.True(frames.Length > 3, "some content arrived before the timeout");
    }

    [Fact]
    public async Task TheStreamingTimeoutStillEndsAStreamOnAKeptAliveConnection()
    {
        // The connection reuses its timeout sources from one exchange to the next; the second stream on it must
        // still be cut off by the exchange's deadline, not only by silence.
        await using var harness = await ProxyHarness.StartAsync(o => o with { StreamingTimeout = TimeSpan.FromSeconds(1), ReadTimeout = TimeSpan.FromSeconds(30) });
        await using var connection = await RawHttpConnection.ConnectAsync(harness.EndPoint);
        var request = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"x"}]}""";
        await connection.SendAsync($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {request.Length}\r\n\r\n{request}");
        var first = await connection.ReadResponseAsync();
        Assert.EndsWith("data: [DONE]", first.BodyText.Trim(), StringComparison.Ordinal);
        harness.Simulator.Options.ChunkCount = 200;
        harness.Simulator.Options.ChunkDelay = TimeSpan.FromMilliseconds(50);

        await connection.SendAsync($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {request.Length}\r\n\r\n{request}");
        var second = await connection.ReadResponseAsync();

        var frames = second.BodyText.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(f => f.Trim()).ToArray();
        Assert.Equal("data: [DONE]", frames[^1]);
        using var error = JsonDocument.Parse(frames[^2]["data: ".Length..]);
        Assert.Equal("upstream_timeout", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("longer than the configured timeout", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(frames.Length > 3, "some content arrived before the timeout");
    }

    [Fact]
    public async Task ClientSendingHeadersTooSlowlyIsCutOffWith408()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { HeadersTimeout = TimeSpan.FromSeconds(1) });
        await using var slow = await RawHttpConnection.ConnectAsync(harness.EndPoint);
        await slow.SendAsync("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");

        var response = await slow.ReadResponseAsync();

        Assert.Equal(408, response.Status);
        Assert.True(await slow.IsClosedByServerAsync());
    }

    // Streams a chat completion and checks it ended cleanly: an upstream_timeout error frame, then [DONE].
    private static async Task<string[]> StreamEndsWithTimeoutErrorAsync(ProxyHarness harness)
    {
        using var client = harness.CreateHttpClient();
        using var response = await client.PostAsync("chat/completions", Json("""{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"x"}]}"""));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var frames = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(f => f.Trim()).ToArray();
        Assert.Equal("data: [DONE]", frames[^1]);
        using var error = JsonDocument.Parse(frames[^2]["data: ".Length..]);
        Assert.Equal("upstream_timeout", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        return frames;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
