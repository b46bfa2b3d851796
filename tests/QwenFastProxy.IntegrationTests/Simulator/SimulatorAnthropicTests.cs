using System.Net;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Simulator;

/// <summary>The simulator's Anthropic-compatible Messages route, <c>/apps/anthropic/v1/messages</c>, driven directly.</summary>
public sealed class SimulatorAnthropicTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private const string TextRequest =
        """{"model":"qwen3-coder-plus","max_tokens":1024,"messages":[{"role":"user","content":"Say something about code."}]}""";

    private const string StreamRequest =
        """{"model":"qwen3-coder-plus","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

    private const string ThinkingStreamRequest =
        """{"model":"qwen3-coder-plus","max_tokens":4096,"stream":true,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"Hi"}]}""";

    private const string ToolsJson =
        """[{"name":"search_docs","description":"Search the docs.","input_schema":{"type":"object","properties":{"query":{"type":"string"}}}},{"name":"other","input_schema":{"type":"object"}}]""";

    private readonly CancellationTokenSource _timeout = new(Bound);
    private QwenSimulator _sim = null!;
    private HttpClient _http = null!;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        _sim = await QwenSimulator.StartAsync(cancellationToken: Ct);
        _sim.Options.ChunkCount = 4;
        // No connection reuse (a fault that cuts a connection must not leave the next request a dead socket), and no
        // draining of abandoned bodies: a test that walks away from a stall closes the connection at once.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, MaxResponseDrainSize = 0 }) { Timeout = Bound };
    }

    public async Task DisposeAsync() => await _sim.DisposeAsync();

    public void Dispose()
    {
        _http.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task NonStreamingAnswerHasTheMessageShape()
    {
        using var response = await PostAsync(TextRequest);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var root = doc.RootElement;
        Assert.Equal(["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"], root.EnumerateObject().Select(p => p.Name));
        Assert.StartsWith("msg_", root.GetProperty("id").GetString());
        Assert.Equal("message", root.GetProperty("type").GetString());
        Assert.Equal("assistant", root.GetProperty("role").GetString());
        Assert.Equal("qwen3-coder-plus", root.GetProperty("model").GetString());
        var block = Assert.Single(root.GetProperty("content").EnumerateArray());
        Assert.Equal("text", block.GetProperty("type").GetString());
        Assert.Equal(SimulatorOptions.DefaultResponseText, block.GetProperty("text").GetString());
        Assert.Equal("end_turn", root.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("stop_sequence").ValueKind);
        var usage = root.GetProperty("usage");
        Assert.Equal(["input_tokens", "output_tokens"], usage.EnumerateObject().Select(p => p.Name));
        Assert.True(usage.GetProperty("input_tokens").GetInt32() > 0);
        Assert.True(usage.GetProperty("output_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task StreamIsAnthropicsEventSequenceWhoseTextDeltasConcatenateToTheResponseText()
    {
        using var response = await PostAsync(StreamRequest);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = Events(await response.Content.ReadAsStringAsync(Ct));
        try
        {
            Assert.Equal(
                ["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta",
                 "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
                events.Select(e => e.Name));
            var message = events[0].Data.GetProperty("message");
            Assert.StartsWith("msg_", message.GetProperty("id").GetString());
            Assert.Equal("qwen3-coder-plus", message.GetProperty("model").GetString());
            Assert.Empty(message.GetProperty("content").EnumerateArray());
            Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_reason").ValueKind);
            Assert.True(message.GetProperty("usage").GetProperty("input_tokens").GetInt32() > 0);

            var start = events[2].Data;
            Assert.Equal(0, start.GetProperty("index").GetInt32());
            Assert.Equal("""{"type":"text","text":""}""", start.GetProperty("content_block").GetRawText());
            var deltas = events.Where(e => e.Name == "content_block_delta").Select(e => e.Data).ToList();
            Assert.All(deltas, d => Assert.Equal(0, d.GetProperty("index").GetInt32()));
            Assert.All(deltas, d => Assert.Equal("text_delta", d.GetProperty("delta").GetProperty("type").GetString()));
            Assert.Equal(SimulatorOptions.DefaultResponseText, string.Concat(deltas.Select(d => d.GetProperty("delta").GetProperty("text").GetString())));
            Assert.Equal(0, events[7].Data.GetProperty("index").GetInt32());

            var delta = events[8].Data;
            Assert.Equal("end_turn", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
            Assert.Equal(JsonValueKind.Null, delta.GetProperty("delta").GetProperty("stop_sequence").ValueKind);
            using var whole = JsonDocument.Parse(await PostStringAsync(TextRequest));
            Assert.Equal(whole.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt32(),
                delta.GetProperty("usage").GetProperty("output_tokens").GetInt32());
            Assert.Equal("""{"type":"message_stop"}""", events[9].Data.GetRawText());
        }
        finally
        {
            events.ForEach(e => e.Dispose());
        }
    }

    [Fact]
    public async Task ThinkingStreamsAThinkingBlockWithASignatureBeforeTheText()
    {
        var events = Events(await PostStringAsync(ThinkingStreamRequest));
        try
        {
            var starts = events.Where(e => e.Name == "content_block_start").Select(e => e.Data).ToList();
            Assert.Equal(["thinking", "text"], starts.Select(s => s.GetProperty("content_block").GetProperty("type").GetString()));
            Assert.Equal([0, 1], starts.Select(s => s.GetProperty("index").GetInt32()));
            var thinking = Deltas(events, 0);
            Assert.Equal([.. Enumerable.Repeat("thinking_delta", 4), "signature_delta"], thinking.Select(d => d.GetProperty("type").GetString()));
            Assert.Equal(SimulatorOptions.DefaultReasoningText, string.Concat(thinking.Take(4).Select(d => d.GetProperty("thinking").GetString())));
            Assert.False(string.IsNullOrEmpty(thinking[^1].GetProperty("signature").GetString()));
            Assert.Equal(SimulatorOptions.DefaultResponseText, string.Concat(Deltas(events, 1).Select(d => d.GetProperty("text").GetString())));
            // Each block closes before the next opens.
            var order = events.Where(e => e.Name.StartsWith("content_block_", StringComparison.Ordinal) && e.Name != "content_block_delta")
                .Select(e => $"{e.Name}:{e.Data.GetProperty("index").GetInt32()}");
            Assert.Equal(["content_block_start:0", "content_block_stop:0", "content_block_start:1", "content_block_stop:1"], order);
        }
        finally
        {
            events.ForEach(e => e.Dispose());
        }
    }

    [Fact]
    public async Task NonStreamingThinkingBlockComesFirstAndCountsAsOutput()
    {
        using var plain = JsonDocument.Parse(await PostStringAsync(TextRequest));
        using var doc = JsonDocument.Parse(await PostStringAsync(
            """{"max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"Say something about code."}]}"""));

        var content = doc.RootElement.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["thinking", "text"], content.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal(SimulatorOptions.DefaultReasoningText, content[0].GetProperty("thinking").GetString());
        Assert.False(string.IsNullOrEmpty(content[0].GetProperty("signature").GetString()));
        Assert.True(doc.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt32()
            > plain.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task ToolUseStreamsTextThenAToolUseBlockWhoseJsonDeltasConcatenateToTheInput()
    {
        var events = Events(await PostStringAsync(
            $$"""{"max_tokens":1024,"stream":true,"tools":{{ToolsJson}},"messages":[{"role":"user","content":"Find docs"}]}"""));
        try
        {
            var starts = events.Where(e => e.Name == "content_block_start").Select(e => e.Data.GetProperty("content_block")).ToList();
            Assert.Equal(["text", "tool_use"], starts.Select(s => s.GetProperty("type").GetString()));
            var toolUse = starts[1];
            Assert.StartsWith("toolu_", toolUse.GetProperty("id").GetString());
            Assert.Equal("search_docs", toolUse.GetProperty("name").GetString());
            Assert.Equal("{}", toolUse.GetProperty("input").GetRawText());
            Assert.Contains("search_docs", string.Concat(Deltas(events, 0).Select(d => d.GetProperty("text").GetString())), StringComparison.Ordinal);
            var json = Deltas(events, 1);
            Assert.InRange(json.Count, 2, 3);
            Assert.All(json, d => Assert.Equal("input_json_delta", d.GetProperty("type").GetString()));
            Assert.Equal("""{"query":"hello world"}""", string.Concat(json.Select(d => d.GetProperty("partial_json").GetString())));
            Assert.Equal("tool_use", events.Single(e => e.Name == "message_delta").Data.GetProperty("delta").GetProperty("stop_reason").GetString());
        }
        finally
        {
            events.ForEach(e => e.Dispose());
        }
    }

    [Fact]
    public async Task AToolUseAnsweredWithAToolResultGetsATextAnswer()
    {
        using var first = JsonDocument.Parse(await PostStringAsync(
            $$"""{"max_tokens":1024,"tools":{{ToolsJson}},"messages":[{"role":"user","content":"Find docs"}]}"""));
        Assert.Equal("tool_use", first.RootElement.GetProperty("stop_reason").GetString());
        var assistantContent = first.RootElement.GetProperty("content");
        var call = assistantContent.EnumerateArray().Single(b => b.GetProperty("type").GetString() == "tool_use");
        Assert.Equal("""{"query":"hello world"}""", call.GetProperty("input").GetRawText());
        var callId = call.GetProperty("id").GetString();

        using var second = JsonDocument.Parse(await PostStringAsync(
            $$"""
            {"max_tokens":1024,"tools":{{ToolsJson}},"messages":[
              {"role":"user","content":"Find docs"},
              {"role":"assistant","content":{{assistantContent.GetRawText()}}},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"{{callId}}","content":"Found it."}]}]}
            """));

        Assert.Equal("end_turn", second.RootElement.GetProperty("stop_reason").GetString());
        var block = Assert.Single(second.RootElement.GetProperty("content").EnumerateArray());
        Assert.Equal(SimulatorOptions.DefaultResponseText, block.GetProperty("text").GetString());
        // The second prompt holds the first one and more.
        Assert.True(second.RootElement.GetProperty("usage").GetProperty("input_tokens").GetInt32()
            > first.RootElement.GetProperty("usage").GetProperty("input_tokens").GetInt32());
    }

    [Fact]
    public async Task CumulativeChunksStutterTextAndThinkingDeltasEachFromTheirStart()
    {
        _sim.Options.CumulativeChunks = 2;
        _sim.Options.ReasoningText = "aaaabbbbccccdddd";
        _sim.Options.ResponseText = "wwwwxxxxyyyyzzzz";

        var events = Events(await PostStringAsync(ThinkingStreamRequest));
        try
        {
            Assert.Equal(["aaaa", "aaaabbbb", "cccc", "dddd"], Deltas(events, 0).Take(4).Select(d => d.GetProperty("thinking").GetString()));
            Assert.Equal(["wwww", "wwwwxxxx", "yyyy", "zzzz"], Deltas(events, 1).Select(d => d.GetProperty("text").GetString()));
        }
        finally
        {
            events.ForEach(e => e.Dispose());
        }
    }

    [Fact]
    public async Task InputTokensCountSystemMessagesAndToolsLikeATokenizer()
    {
        // "Hello world" is two tokens, a word over ten letters is two, and each message adds the template's five.
        Assert.Equal(7, await InputTokensAsync("""{"messages":[{"role":"user","content":"Hello world"}]}"""));
        Assert.Equal(7, await InputTokensAsync("""{"messages":[{"role":"user","content":"internationalization"}]}"""));
        Assert.Equal(7 + 5 + 3, await InputTokensAsync("""{"system":"Be brief.","messages":[{"role":"user","content":"Hello world"}]}"""));
        Assert.Equal(7 + 5 + 3, await InputTokensAsync(
            """{"system":[{"type":"text","text":"Be brief."}],"messages":[{"role":"user","content":[{"type":"text","text":"Hello world"}]}]}"""));
        Assert.True(await InputTokensAsync($$"""{"tools":{{ToolsJson}},"messages":[{"role":"user","content":"Hello world"}]}""") > 7 + 20);
    }

    [Fact]
    public async Task CachedTokensAreReportedAsCacheReadsOutsideInputTokens()
    {
        _sim.Options.CachedTokens = 3;

        using var doc = JsonDocument.Parse(await PostStringAsync("""{"messages":[{"role":"user","content":"Hello world"}]}"""));

        var usage = doc.RootElement.GetProperty("usage");
        Assert.Equal(4, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(3, usage.GetProperty("cache_read_input_tokens").GetInt32());
    }

    [Theory]
    [InlineData("x-api-key", "secret-token")]
    [InlineData("Authorization", "Bearer secret-token")]
    public async Task TheKeyIsAcceptedAsXApiKeyOrBearer(string header, string value)
    {
        _sim.Options.RequiredBearerToken = "secret-token";

        using var response = await PostAsync(TextRequest, headers: [(header, value)]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("x-api-key", "wrong-token")]
    [InlineData("Authorization", "Bearer wrong-token")]
    [InlineData("Authorization", "secret-token")]
    public async Task AWrongOrMissingKeyGetsAnthropics401(string? header, string? value)
    {
        _sim.Options.RequiredBearerToken = "secret-token";

        using var response = await PostAsync(TextRequest, headers: header is null ? [] : [(header, value!)]);

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"model":"qwen3-coder-plus"}""")]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"thinking":{"type":"enabled"}}""")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":0}""")]
    public async Task ABadBodyGets400InvalidRequestError(string body)
    {
        using var response = await PostAsync(body);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
    }

    [Theory]
    [InlineData("500", 500, "api_error")]
    [InlineData("503", 503, "overloaded_error")]
    [InlineData("529", 529, "overloaded_error")]
    [InlineData("overloaded", 529, "overloaded_error")]
    [InlineData("429", 429, "rate_limit_error")]
    [InlineData("quota", 429, "rate_limit_error")]
    [InlineData("plan-quota", 429, "rate_limit_error")]
    [InlineData("not-purchased", 403, "permission_error")]
    [InlineData("coding-plan-key", 401, "authentication_error")]
    [InlineData("model-not-found", 404, "not_found_error")]
    [InlineData("model-not-supported", 400, "invalid_request_error")]
    public async Task StatusFaultsAnswerWithAnthropicsErrorShape(string fault, int status, string type)
    {
        using var response = await PostAsync(StreamRequest, fault);

        await AssertErrorAsync(response, (HttpStatusCode)status, type);
    }

    [Fact]
    public async Task RateLimitCarriesRetryAfter()
    {
        using var response = await PostAsync(TextRequest, "429;retry-after=7");

        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task ContextOverflowIsDashScopesInputRangeMessage()
    {
        using var response = await PostAsync(TextRequest, "context-overflow");

        var message = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
        Assert.Equal("<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, 1000000]", message);
    }

    [Fact]
    public async Task ContextOverflowOnTheChatRouteIsAnInvalidParameterError()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_sim.BaseUrl + "/chat/completions"))
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(FaultHeaders.Fault, "context-overflow");
        using var response = await _http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("invalid_parameter_error", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("Range of input length should be [1, ", doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFaultHeaderThatDoesNotParseIsA400InvalidRequestError()
    {
        using var response = await PostAsync(TextRequest, "teapot");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
    }

    [Fact]
    public async Task ResetMidStreamDeliversNDeltasThenBreaksTheStream()
    {
        using var response = await PostAsync(StreamRequest, "reset-mid-stream;after=2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var raw = new StringBuilder();
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => ReadAllAsync(response, raw));

        Assert.True(exception is IOException or HttpRequestException, exception.ToString());
        var events = Events(raw.ToString());
        try
        {
            Assert.Equal(["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta"], events.Select(e => e.Name));
        }
        finally
        {
            events.ForEach(e => e.Dispose());
        }
        Assert.False(await Assert.Single(_sim.Requests.Snapshot()).Completed.WaitAsync(Ct));
    }

    [Fact]
    public async Task MalformedEventMidStreamIsOneBadEventInAnOtherwiseWholeStream()
    {
        var raw = await PostStringAsync(StreamRequest, "malformed;after=1");

        var frames = raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var bad = frames.Where(f => !IsJson(f[(f.IndexOf("\ndata: ", StringComparison.Ordinal) + 7)..])).ToList();
        Assert.StartsWith("event: content_block_delta\n", Assert.Single(bad), StringComparison.Ordinal);
        Assert.Equal(4, Array.IndexOf(frames, bad[0])); // message_start, ping, block start, one delta before it
        var events = Events(string.Concat(frames.Where(f => f != bad[0]).Select(f => f + "\n\n")));
        try
        {
            Assert.Equal("message_stop", events[^1].Name);
            Assert.Equal(SimulatorOptions.DefaultResponseText, string.Concat(Deltas(events, 0).Select(d => d.GetProperty("text").GetString())));
        }
        finally
        {
            events.ForEach(e => e.Dispose());
        }
    }

    [Fact]
    public async Task StallAfterDeltasDeliversThemThenGoesSilent()
    {
        var response = await PostAsync(StreamRequest, "stall;after=1");
        RecordedRequest recorded;
        try
        {
            recorded = Assert.Single(_sim.Requests.Snapshot());
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            // message_start, ping, content_block_start, one text delta: each an event line, a data line, a blank line.
            for (var frame = 0; frame < 4; frame++)
            {
                Assert.StartsWith("event: ", await reader.ReadLineAsync(Ct), StringComparison.Ordinal);
                Assert.StartsWith("data: {", await reader.ReadLineAsync(Ct), StringComparison.Ordinal);
                Assert.Equal("", await reader.ReadLineAsync(Ct));
            }
            Assert.False(recorded.Completed.IsCompleted);
        }
        finally
        {
            response.Dispose(); // the client leaves
        }

        Assert.False(await recorded.Completed.WaitAsync(Ct));
    }

    [Fact]
    public async Task MalformedNonStreamingAnswerIsA200ThatIsNotJson()
    {
        using var response = await PostAsync(TextRequest, "malformed");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(IsJson(await response.Content.ReadAsStringAsync(Ct)));
    }

    [Fact]
    public async Task RequestsAreRecordedWithTheirHeadersAndBody()
    {
        using (var response = await PostAsync(TextRequest, headers: [("x-api-key", "k-1")]))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var recorded = Assert.Single(_sim.Requests.Snapshot());
        Assert.Equal("POST", recorded.Method);
        Assert.Equal("/apps/anthropic/v1/messages", recorded.Path);
        Assert.Equal("k-1", recorded.Headers["X-Api-Key"]);
        Assert.Equal(TextRequest, Encoding.UTF8.GetString(recorded.Body));
        Assert.True(await recorded.Completed.WaitAsync(Ct));
    }

    private async Task<int> InputTokensAsync(string body)
    {
        using var doc = JsonDocument.Parse(await PostStringAsync(body));
        return doc.RootElement.GetProperty("usage").GetProperty("input_tokens").GetInt32();
    }

    private async Task<string?> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var root = doc.RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        var error = root.GetProperty("error");
        Assert.Equal(["type", "message"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal(type, error.GetProperty("type").GetString());
        var message = error.GetProperty("message").GetString();
        Assert.False(string.IsNullOrEmpty(message));
        return message;
    }

    private async Task<HttpResponseMessage> PostAsync(string body, string? fault = null, (string Name, string Value)[]? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{_sim.Port}/apps/anthropic/v1/messages"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (fault is not null)
        {
            request.Headers.TryAddWithoutValidation(FaultHeaders.Fault, fault);
        }
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
    }

    private async Task<string> PostStringAsync(string body, string? fault = null)
    {
        using var response = await PostAsync(body, fault);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    private async Task ReadAllAsync(HttpResponseMessage response, StringBuilder into)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var buffer = new char[256];
        int read;
        while ((read = await reader.ReadAsync(buffer, Ct)) > 0)
        {
            into.Append(buffer, 0, read);
        }
    }

    private static bool IsJson(string text)
    {
        try
        {
            JsonDocument.Parse(text).Dispose();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // The deltas of content block `index`, as their "delta" objects.
    private static List<JsonElement> Deltas(List<Event> events, int index) =>
        events.Where(e => e.Name == "content_block_delta" && e.Data.GetProperty("index").GetInt32() == index)
            .Select(e => e.Data.GetProperty("delta")).ToList();

    // Parses the stream strictly: nothing but "event: name\ndata: json\n\n" frames, the data's type naming the event.
    private static List<Event> Events(string raw)
    {
        Assert.EndsWith("\n\n", raw);
        var events = new List<Event>();
        foreach (var frame in raw.Split("\n\n").SkipLast(1))
        {
            var lines = frame.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            var name = lines[0]["event: ".Length..];
            var doc = JsonDocument.Parse(lines[1]["data: ".Length..]);
            Assert.Equal(name, doc.RootElement.GetProperty("type").GetString());
            events.Add(new Event(name, doc));
        }
        return events;
    }

    private sealed class Event(string name, JsonDocument document) : IDisposable
    {
        public string Name { get; } = name;

        public JsonElement Data => document.RootElement;

        public void Dispose() => document.Dispose();
    }
}
