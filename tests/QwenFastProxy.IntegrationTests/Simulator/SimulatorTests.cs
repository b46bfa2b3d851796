using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Simulator;

public sealed class SimulatorTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private const string TextRequest =
        """{"model":"qwen3-coder-flash","messages":[{"role":"user","content":"Say something about code."}]}""";

    private const string StreamRequest =
        """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

    private const string ToolsJson =
        """[{"type":"function","function":{"name":"search_docs","parameters":{"type":"object","properties":{"query":{"type":"string"}}}}},{"type":"function","function":{"name":"other"}}]""";

    private readonly CancellationTokenSource _timeout = new(Bound);
    private QwenSimulator _sim = null!;
    private HttpClient _http = null!;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        _sim = await QwenSimulator.StartAsync(cancellationToken: Ct);
        _http = new HttpClient { Timeout = Bound };
    }

    public async Task DisposeAsync() => await _sim.DisposeAsync();

    public void Dispose()
    {
        _http.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public void BaseUrlPointsAtV1OnTheBoundPort()
    {
        Assert.NotEqual(0, _sim.Port);
        Assert.Equal($"http://127.0.0.1:{_sim.Port}/v1", _sim.BaseUrl.ToString());
        Assert.Equal(_sim.Port, _sim.BaseUrl.Port);
    }

    [Fact]
    public async Task NonStreamingAnswerHasTheChatCompletionShape()
    {
        using var response = await PostChatAsync(TextRequest);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var root = doc.RootElement;
        Assert.StartsWith("chatcmpl-", root.GetProperty("id").GetString());
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.True(root.GetProperty("created").GetInt64() > 1_700_000_000);
        Assert.Equal("qwen3-coder-flash", root.GetProperty("model").GetString());
        var choice = Assert.Single(root.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(SimulatorOptions.DefaultResponseText, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var usage = root.GetProperty("usage");
        var prompt = usage.GetProperty("prompt_tokens").GetInt32();
        var completion = usage.GetProperty("completion_tokens").GetInt32();
        Assert.True(prompt > 0);
        Assert.True(completion > 0);
        Assert.Equal(prompt + completion, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task IdsDifferBetweenResponses()
    {
        using var first = await PostChatAsync(TextRequest);
        using var second = await PostChatAsync(TextRequest);
        using var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync(Ct));
        using var b = JsonDocument.Parse(await second.Content.ReadAsStringAsync(Ct));
        Assert.NotEqual(a.RootElement.GetProperty("id").GetString(), b.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task StreamingFramesAreOpenaiChunksWhoseDeltasConcatenateToTheResponseText()
    {
        using var response = await PostChatAsync(StreamRequest);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var frames = await ReadSseAsync(response);
        Assert.Equal("[DONE]", frames[^1]);
        var chunks = ParseChunks(frames);
        try
        {
            var id = chunks[0].RootElement.GetProperty("id").GetString();
            Assert.StartsWith("chatcmpl-", id);
            foreach (var chunk in chunks)
            {
                var root = chunk.RootElement;
                Assert.Equal(id, root.GetProperty("id").GetString());
                Assert.Equal("chat.completion.chunk", root.GetProperty("object").GetString());
                Assert.Equal("qwen3-coder-plus", root.GetProperty("model").GetString());
                Assert.True(root.GetProperty("created").GetInt64() > 0);
                Assert.False(root.TryGetProperty("usage", out _), "usage was not asked for");
                Assert.Equal(0, Assert.Single(root.GetProperty("choices").EnumerateArray()).GetProperty("index").GetInt32());
            }

            // Role chunk first, then ChunkCount incremental content chunks, then the finish chunk.
            Assert.Equal(1 + 8 + 1, chunks.Count);
            var first = Choice(chunks[0]);
            Assert.Equal("assistant", first.GetProperty("delta").GetProperty("role").GetString());
            Assert.Equal("", first.GetProperty("delta").GetProperty("content").GetString());
            Assert.Equal(JsonValueKind.Null, first.GetProperty("finish_reason").ValueKind);

            var text = new StringBuilder();
            foreach (var chunk in chunks.Skip(1).Take(8))
            {
                var choice = Choice(chunk);
                Assert.Equal(JsonValueKind.Null, choice.GetProperty("finish_reason").ValueKind);
                var piece = choice.GetProperty("delta").GetProperty("content").GetString();
                Assert.False(string.IsNullOrEmpty(piece));
                text.Append(piece);
            }

            Assert.Equal(SimulatorOptions.DefaultResponseText, text.ToString());
            var last = Choice(chunks[^1]);
            Assert.Equal("stop", last.GetProperty("finish_reason").GetString());
            Assert.Empty(last.GetProperty("delta").EnumerateObject());
        }
        finally
        {
            chunks.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task StreamFollowsChunkCountAndResponseTextChangedAtRuntime()
    {
        _sim.Options.ChunkCount = 3;
        _sim.Options.ResponseText = "héllo <wörld> & \"quotes\" 😀 done";
        using var response = await PostChatAsync(StreamRequest);

        var chunks = ParseChunks(await ReadSseAsync(response));
        try
        {
            var content = chunks.Skip(1).Take(chunks.Count - 2)
                .Select(c => Choice(c).GetProperty("delta").GetProperty("content").GetString()).ToList();
            Assert.Equal(3, content.Count);
            Assert.Equal(_sim.Options.ResponseText, string.Concat(content));
        }
        finally
        {
            chunks.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task UsageChunkComesLastOnlyWhenAskedFor()
    {
        using var response = await PostChatAsync(
            """{"model":"qwen3-coder-plus","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}""");

        var frames = await ReadSseAsync(response);
        Assert.Equal("[DONE]", frames[^1]);
        var chunks = ParseChunks(frames);
        try
        {
            var usageChunk = chunks[^1].RootElement;
            Assert.Empty(usageChunk.GetProperty("choices").EnumerateArray());
            var usage = usageChunk.GetProperty("usage");
            Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
                usage.GetProperty("total_tokens").GetInt32());
            Assert.Equal("stop", Choice(chunks[^2]).GetProperty("finish_reason").GetString());
            Assert.All(chunks.SkipLast(1), c => Assert.False(c.RootElement.TryGetProperty("usage", out _)));
        }
        finally
        {
            chunks.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task StreamedToolCallFragmentsConcatenateToTheArguments()
    {
        using var response = await PostChatAsync(
            $$"""{"model":"qwen3-coder-plus","stream":true,"tools":{{ToolsJson}},"messages":[{"role":"user","content":"Find docs"}]}""");

        var chunks = ParseChunks(await ReadSseAsync(response));
        try
        {
            Assert.Equal("assistant", Choice(chunks[0]).GetProperty("delta").GetProperty("role").GetString());
            var fragments = chunks.Skip(1).Take(chunks.Count - 2)
                .Select(c => Assert.Single(Choice(c).GetProperty("delta").GetProperty("tool_calls").EnumerateArray()))
                .ToList();
            Assert.InRange(fragments.Count, 3, 4);

            var start = fragments[0];
            Assert.Equal(0, start.GetProperty("index").GetInt32());
            Assert.StartsWith("call_", start.GetProperty("id").GetString());
            Assert.Equal("function", start.GetProperty("type").GetString());
            Assert.Equal("search_docs", start.GetProperty("function").GetProperty("name").GetString());
            Assert.Equal("", start.GetProperty("function").GetProperty("arguments").GetString());

            var arguments = new StringBuilder();
            foreach (var fragment in fragments.Skip(1))
            {
                Assert.Equal(["index", "function"], fragment.EnumerateObject().Select(p => p.Name));
                Assert.Equal(0, fragment.GetProperty("index").GetInt32());
                Assert.Equal(["arguments"], fragment.GetProperty("function").EnumerateObject().Select(p => p.Name));
                arguments.Append(fragment.GetProperty("function").GetProperty("arguments").GetString());
            }

            Assert.Equal("""{"query":"hello world"}""", arguments.ToString());
            Assert.Equal("tool_calls", Choice(chunks[^1]).GetProperty("finish_reason").GetString());
        }
        finally
        {
            chunks.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task NonStreamingToolCallNamesTheFirstTool()
    {
        using var response = await PostChatAsync(
            $$"""{"model":"qwen3-coder-plus","tools":{{ToolsJson}},"messages":[{"role":"user","content":"Find docs"}]}""");

        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var choice = doc.RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.StartsWith("call_", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("search_docs", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("""{"query":"hello world"}""", call.GetProperty("function").GetProperty("arguments").GetString());
    }

    [Fact]
    public async Task AToolResultIsAnsweredWithText()
    {
        using var response = await PostChatAsync(
            $$$"""
            {"model":"qwen3-coder-plus","tools":{{{ToolsJson}}},"messages":[
              {"role":"user","content":"Find docs"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"search_docs","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"Found it."}]}
            """);

        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var choice = doc.RootElement.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(SimulatorOptions.DefaultResponseText, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Basic c2VjcmV0LXRva2Vu")]
    public async Task WrongOrMissingBearerGetsQwens401Body(string? authorization)
    {
        _sim.Options.RequiredBearerToken = "secret-token";

        using var response = await PostChatAsync(TextRequest, authorization);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var root = doc.RootElement;
        Assert.Equal(["error", "request_id"], root.EnumerateObject().Select(p => p.Name));
        var error = root.GetProperty("error");
        Assert.Equal(["code", "message", "param", "type"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("invalid access token or token expired", error.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("request_id").GetString()));
    }

    [Fact]
    public async Task RightBearerIsAccepted()
    {
        _sim.Options.RequiredBearerToken = "secret-token";

        using var response = await PostChatAsync(TextRequest, "Bearer secret-token");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"model":"qwen3-coder-plus"}""")]
    [InlineData("""{"model":"qwen3-coder-plus","messages":"hi"}""")]
    public async Task BadPayloadGets400InvalidParameterError(string body)
    {
        using var response = await PostChatAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal("invalid_parameter_error", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.True(doc.RootElement.TryGetProperty("request_id", out _));
    }

    [Fact]
    public async Task ModelsListsTheQwenCoderModels()
    {
        using var response = await _http.GetAsync(Url("models"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("list", doc.RootElement.GetProperty("object").GetString());
        var models = doc.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["qwen3-coder-plus", "qwen3-coder-flash"], models.Select(m => m.GetProperty("id").GetString()));
        Assert.All(models, m =>
        {
            Assert.Equal("model", m.GetProperty("object").GetString());
            Assert.Equal("qwen", m.GetProperty("owned_by").GetString());
            Assert.True(m.GetProperty("created").GetInt64() > 0);
        });
    }

    [Fact]
    public async Task UnknownPathGets404InOpenaiErrorShape()
    {
        using var response = await _http.GetAsync(Url("nope"), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("invalid_request_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task EchoReflectsMethodPathQueryHeadersAndBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Url("sim/echo/deeper?a=1&b=two"))
        {
            Content = new StringContent("payload ✓", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Add("X-Custom", ["one", "two"]);

        using var response = await _http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var root = doc.RootElement;
        Assert.Equal("PUT", root.GetProperty("method").GetString());
        Assert.Equal("/v1/sim/echo/deeper", root.GetProperty("path").GetString());
        Assert.Equal("?a=1&b=two", root.GetProperty("query").GetString());
        Assert.Equal("one, two", root.GetProperty("headers").GetProperty("X-Custom").GetString());
        Assert.Equal("text/plain; charset=utf-8", root.GetProperty("headers").GetProperty("Content-Type").GetString());
        Assert.Equal("payload ✓", root.GetProperty("body").GetString());
    }

    [Fact]
    public async Task RequestLogRecordsMethodPathHeadersAndBody()
    {
        var waiting = _sim.Requests.WaitForRequestAsync(1, Ct);
        Assert.False(waiting.IsCompleted);

        using (var first = await PostChatAsync(TextRequest, "Bearer abc"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var second = await _http.GetAsync(Url("models?x=y"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        var recorded = await waiting.WaitAsync(Bound);
        Assert.Equal("GET", recorded.Method);
        Assert.Equal("?x=y", recorded.QueryString);

        Assert.Equal(2, _sim.Requests.Count);
        var chat = _sim.Requests.Snapshot()[0];
        Assert.Same(chat, await _sim.Requests.WaitForRequestAsync(0, Ct).WaitAsync(Bound));
        Assert.Equal("POST", chat.Method);
        Assert.Equal("/v1/chat/completions", chat.Path);
        Assert.Equal("", chat.QueryString);
        Assert.Equal("Bearer abc", chat.Headers["authorization"]);
        Assert.Equal("Bearer abc", chat.Headers["Authorization"]);
        Assert.Equal(TextRequest, Encoding.UTF8.GetString(chat.Body));
        Assert.True(await chat.Completed.WaitAsync(Bound));

        _sim.Requests.Clear();
        Assert.Equal(0, _sim.Requests.Count);
        Assert.Empty(_sim.Requests.Snapshot());
    }

    [Fact]
    public async Task WaitingForARequestCanBeCancelled()
    {
        using var cts = new CancellationTokenSource();
        var waiting = _sim.Requests.WaitForRequestAsync(5, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Bound));
    }

    [Fact]
    public async Task CompletedIsTrueAfterAFullStream()
    {
        using (var response = await PostChatAsync(StreamRequest))
        {
            await ReadSseAsync(response);
        }

        var recorded = await _sim.Requests.WaitForRequestAsync(0, Ct).WaitAsync(Bound);
        Assert.True(await recorded.Completed.WaitAsync(Bound));
    }

    [Fact]
    public async Task CompletedIsFalseWhenTheClientAbortsMidStream()
    {
        _sim.Options.ChunkDelay = TimeSpan.FromMilliseconds(200);
        _sim.Options.ChunkCount = 100;

        // Without this the handler would try to drain the rest of the stream (up to 2 s) to reuse the connection
        // instead of closing it at once like a client that gives up.
        using var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0 };
        using var client = new HttpClient(handler) { Timeout = Bound };
        using var request = new HttpRequestMessage(HttpMethod.Post, Url("chat/completions"))
        {
            Content = new StringContent(StreamRequest, Encoding.UTF8, "application/json"),
        };

        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            await using var stream = await response.Content.ReadAsStreamAsync(Ct);
            using var reader = new StreamReader(stream);
            var firstLine = await reader.ReadLineAsync(Ct);
            Assert.StartsWith("data: {", firstLine);
        }

        var recorded = await _sim.Requests.WaitForRequestAsync(0, Ct).WaitAsync(Bound);
        Assert.False(await recorded.Completed.WaitAsync(Bound));
    }

    [Fact]
    public async Task StopAsyncEndsAnInFlightStreamPromptly()
    {
        _sim.Options.ChunkDelay = TimeSpan.FromMinutes(10);

        using var response = await PostChatAsync(StreamRequest);
        await using var stream = await response.Content.ReadAsStreamAsync(Ct);
        using var reader = new StreamReader(stream);
        Assert.StartsWith("data: {", await reader.ReadLineAsync(Ct));

        await _sim.StopAsync(Ct).WaitAsync(Bound);

        var recorded = await _sim.Requests.WaitForRequestAsync(0, Ct).WaitAsync(Bound);
        Assert.False(await recorded.Completed.WaitAsync(Bound));
        await _sim.StopAsync(Ct).WaitAsync(Bound); // idempotent
    }

    [Fact]
    public async Task ConcurrentRequestsEachGetTheirOwnAnswer()
    {
        _sim.Options.ChunkCount = 4;
        var tasks = Enumerable.Range(0, 64).Select(async i =>
        {
            if (i % 2 == 0)
            {
                using var response = await PostChatAsync(
                    $$"""{"model":"model-{{i}}","messages":[{"role":"user","content":"Hi"}]}""");
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
                Assert.Equal($"model-{i}", doc.RootElement.GetProperty("model").GetString());
                Assert.Equal(SimulatorOptions.DefaultResponseText,
                    doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            }
            else
            {
                using var response = await PostChatAsync(
                    $$"""{"model":"model-{{i}}","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");
                var chunks = ParseChunks(await ReadSseAsync(response));
                try
                {
                    Assert.All(chunks, c => Assert.Equal($"model-{i}", c.RootElement.GetProperty("model").GetString()));
                    Assert.Equal(SimulatorOptions.DefaultResponseText, string.Concat(chunks.Select(c =>
                        Choice(c).GetProperty("delta").TryGetProperty("content", out var p) ? p.GetString() : "")));
                }
                finally
                {
                    chunks.ForEach(c => c.Dispose());
                }
            }
        });

        await Task.WhenAll(tasks).WaitAsync(Bound);
        Assert.Equal(64, _sim.Requests.Count);
    }

    [Fact]
    public async Task LocalhostBindsTheIpv4Loopback()
    {
        await using var sim = await QwenSimulator.StartAsync(host: "localhost", cancellationToken: Ct);

        Assert.Equal($"http://127.0.0.1:{sim.Port}/v1", sim.BaseUrl.ToString());
        using var response = await _http.GetAsync(new Uri($"{sim.BaseUrl}/models"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OfficialOpenaiClientReadsWholeAndStreamedAnswers()
    {
        var client = new ChatClient("qwen3-coder-plus", new ApiKeyCredential("any-key"),
            new OpenAIClientOptions { Endpoint = _sim.BaseUrl });

        ChatCompletion whole = await client.CompleteChatAsync([new UserChatMessage("Hi")], cancellationToken: Ct);
        Assert.Equal(SimulatorOptions.DefaultResponseText, whole.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, whole.FinishReason);

        var streamed = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Hi")],
                           new ChatCompletionOptions(), Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.Equal(SimulatorOptions.DefaultResponseText, streamed.ToString());
        Assert.NotNull(usage); // the SDK asks for include_usage on streams
    }

    private Uri Url(string relative) => new($"{_sim.BaseUrl}/{relative}");

    private async Task<HttpResponseMessage> PostChatAsync(string body, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url("chat/completions"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
    }

    // Reads the whole event stream and checks its framing strictly: nothing but "data: <payload>\n\n" frames.
    private async Task<List<string>> ReadSseAsync(HttpResponseMessage response)
    {
        var raw = await response.Content.ReadAsStringAsync(Ct);
        Assert.EndsWith("data: [DONE]\n\n", raw);
        var frames = raw.Split("\n\n").SkipLast(1).ToList();
        Assert.All(frames, f => Assert.StartsWith("data: ", f));
        Assert.All(frames, f => Assert.DoesNotContain('\n', f));
        return frames.Select(f => f["data: ".Length..]).ToList();
    }

    private static List<JsonDocument> ParseChunks(List<string> frames) =>
        frames.Where(f => f != "[DONE]").Select(f => JsonDocument.Parse(f)).ToList();

    private static JsonElement Choice(JsonDocument chunk) => Assert.Single(chunk.RootElement.GetProperty("choices").EnumerateArray());
}
