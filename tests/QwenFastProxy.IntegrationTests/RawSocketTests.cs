using System.Text;
using System.Text.Json;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests;

/// <summary>The HTTP/1.1 front end over real sockets, with bytes a polite client would not send.</summary>
public sealed class RawSocketTests : IAsyncLifetime
{
    private const string ChatJson = """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}""";
    private const string StreamJson = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private const string ChunkedHead = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    private ProxyHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await ProxyHarness.StartAsync(o => o with { MaxRequestBodyBytes = 4096, MaxRequestHeaderBytes = 2048 });

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task KeepAliveConnectionServesSeveralRequests()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        for (var i = 0; i < 3; i++)
        {
            await connection.SendAsync(Post(ChatJson));
            var response = await connection.ReadResponseAsync();
            Assert.Equal(200, response.Status);
            Assert.Contains(SimulatorOptions.DefaultResponseText, response.BodyText);
        }
        Assert.Equal(3, _harness.Simulator.Requests.Count);
    }

    [Fact]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        await connection.SendAsync(
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            + Post(ChatJson)
            + "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");

        var health = await connection.ReadResponseAsync();
        var chat = await connection.ReadResponseAsync();
        var models = await connection.ReadResponseAsync();
        var missing = await connection.ReadResponseAsync();

        Assert.Equal((200, 200, 200, 404), (health.Status, chat.Status, models.Status, missing.Status));
        Assert.Contains("\"status\":\"ok\"", health.BodyText);
        Assert.Contains("chat.completion", chat.BodyText);
        Assert.Contains("qwen3-coder-flash", models.BodyText);
    }

    [Fact]
    public async Task ExpectContinueGets100BeforeTheBodyIsSent()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        var body = Encoding.UTF8.GetBytes(ChatJson);
        await connection.SendAsync($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {body.Length}\r\n\r\n");

        var interim = await connection.ReadResponseAsync();
        Assert.Equal(100, interim.Status);
        await connection.SendAsync(body);
        var final = await connection.ReadResponseAsync();

        Assert.Equal(200, final.Status);
        Assert.Equal(ChatJson, Encoding.UTF8.GetString(Assert.Single(_harness.Simulator.Requests.Snapshot()).Body));
    }

    [Fact]
    public async Task ChunkedRequestBodyIsForwardedWhole()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        var half = ChatJson.Length / 2;
        await connection.SendAsync(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + $"{half:x};ext=1\r\n{ChatJson[..half]}\r\n{ChatJson.Length - half:X}\r\n{ChatJson[half..]}\r\n0\r\nTrailer: yes\r\n\r\n");

        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        var seen = Assert.Single(_harness.Simulator.Requests.Snapshot());
        Assert.Equal(ChatJson, Encoding.UTF8.GetString(seen.Body));
        Assert.Equal(ChatJson.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), seen.Headers["Content-Length"]);
    }

    [Fact]
    public async Task StreamingResponseUsesChunkedEncodingAndEndsWithDone()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        await connection.SendAsync(Post(StreamJson));

        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("chunked", response.Header("Transfer-Encoding"));
        Assert.StartsWith("text/event-stream", response.Header("Content-Type"));
        var frames = response.BodyText.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", frames[^1]);
        var text = new StringBuilder();
        foreach (var frame in frames[..^1])
        {
            using var chunk = JsonDocument.Parse(frame["data: ".Length..]);
            var choices = chunk.RootElement.GetProperty("choices");
            if (choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out var content))
            {
                text.Append(content.GetString());
            }
        }
        Assert.Equal(SimulatorOptions.DefaultResponseText, text.ToString());
    }

    [Fact]
    public async Task Http10StreamingResponseIsCloseDelimited()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        var body = StreamJson;
        await connection.SendAsync($"POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}");

        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Null(response.Header("Transfer-Encoding"));
        Assert.True(response.ClosesConnection);
        Assert.EndsWith("data: [DONE]\n\n", response.BodyText);
    }

    [Theory]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400)]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400)]
    [InlineData("GET /healthz HTTP/1.1\nHost: x\n\n", 400)]
    [InlineData("GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400)]
    [InlineData("GET /healthz HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505)]
    [InlineData("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n", 413)]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n", 417)]
    public async Task MalformedRequestsGetTheirStatusAndTheConnectionCloses(string request, int status)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        await connection.SendAsync(request + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");

        var response = await connection.ReadResponseAsync();

        Assert.Equal(status, response.Status);
        Assert.True(response.ClosesConnection);
        using var error = JsonDocument.Parse(response.Body);
        Assert.True(error.RootElement.GetProperty("error").TryGetProperty("message", out _));
        Assert.True(await connection.IsClosedByServerAsync()); // the pipelined request after it is not served
    }

    [Theory]
    [InlineData(false, "{\"model\": \"qwen3-coder-plus\", ")]
    [InlineData(true, "{\"model\": \"qwen3-coder-plus\", ")]
    [InlineData(false, "[1, 2]")]
    [InlineData(true, "{\"model\": \"qwen3-coder-plus\"} {}")]
    public async Task InvalidChatBodyGets400AndTheConnectionStaysOpen(bool chunked, string json)
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);

        await connection.SendAsync(chunked ? PostChunked(json) : Post(json));
        var refused = await connection.ReadResponseAsync();

        // The framing was fine and the body was read whole: only its content is refused.
        Assert.Equal(400, refused.Status);
        Assert.False(refused.ClosesConnection);
        using (var error = JsonDocument.Parse(refused.Body))
        {
            var detail = error.RootElement.GetProperty("error");
            Assert.False(string.IsNullOrWhiteSpace(detail.GetProperty("message").GetString()));
            Assert.Equal("invalid_request_error", detail.GetProperty("type").GetString());
            Assert.Equal("invalid_request_body", detail.GetProperty("code").GetString());
        }

        await connection.SendAsync(Post(ChatJson));
        var served = await connection.ReadResponseAsync();

        Assert.Equal(200, served.Status);
        Assert.Contains(SimulatorOptions.DefaultResponseText, served.BodyText);
        var seen = Assert.Single(_harness.Simulator.Requests.Snapshot()); // the refused body never went upstream
        Assert.Equal(ChatJson, Encoding.UTF8.GetString(seen.Body));
    }

    [Fact]
    public async Task BadChunkSizeGets400AndTheConnectionCloses()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        var spaceAfterSize = ChunkedHead + $"{ChatJson.Length:x} \r\n{ChatJson}\r\n0\r\n\r\n";

        await connection.SendAsync(spaceAfterSize + Post(ChatJson));
        var refused = await connection.ReadResponseAsync();

        // Unlike a bad body, a bad frame leaves the end of the request unknown: nothing after it is read.
        Assert.Equal(400, refused.Status);
        Assert.True(refused.ClosesConnection);
        using (var error = JsonDocument.Parse(refused.Body))
        {
            Assert.Equal("invalid_request", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        Assert.True(await connection.IsClosedByServerAsync());
        Assert.Equal(0, _harness.Simulator.Requests.Count);
    }

    [Fact]
    public async Task OversizedHeaderSectionGets431()
    {
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        await connection.SendAsync($"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', 3000)}\r\n\r\n");

        var response = await connection.ReadResponseAsync();

        Assert.Equal(431, response.Status);
        Assert.True(await connection.IsClosedByServerAsync());
    }

    [Fact]
    public async Task ClientDisconnectMidStreamCancelsTheUpstreamRequest()
    {
        _harness.Simulator.Options.ChunkDelay = TimeSpan.FromMilliseconds(200);
        _harness.Simulator.Options.ChunkCount = 50;
        var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        await connection.SendAsync(Post(StreamJson));
        var (head, firstBytes) = await connection.ReadHeadAndSomeBodyAsync();
        Assert.Equal(200, head.Status);
        Assert.Contains("data:", firstBytes);

        await connection.DisposeAsync();

        var upstream = await _harness.Simulator.Requests.WaitForRequestAsync(0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var completedNormally = await upstream.Completed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(completedNormally);
    }

    [Fact]
    public async Task ClientDisconnectWhileWaitingForTheUpstreamHeadCancelsIt()
    {
        _harness.Simulator.Options.ResponseDelay = TimeSpan.FromSeconds(60);
        var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);
        await connection.SendAsync(Post(ChatJson));
        var upstream = await _harness.Simulator.Requests.WaitForRequestAsync(0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        await connection.DisposeAsync();

        Assert.False(await upstream.Completed.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static string Post(string json) =>
        $"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(json)}\r\n\r\n{json}";

    private static string PostChunked(string json) =>
        ChunkedHead + $"{Encoding.UTF8.GetByteCount(json):x}\r\n{json}\r\n0\r\n\r\n";
}
