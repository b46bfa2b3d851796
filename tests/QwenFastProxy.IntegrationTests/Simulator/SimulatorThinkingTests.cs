using System.Net;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Simulator;

/// <summary>Thinking on the chat route: <c>enable_thinking</c> streams <c>reasoning_content</c> before the content.</summary>
public sealed class SimulatorThinkingTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private const string ThinkingRequest =
        """{"model":"qwen3-coder-plus","enable_thinking":true,"messages":[{"role":"user","content":"Fix it."}]}""";

    private const string ThinkingStreamRequest =
        """{"model":"qwen3-coder-plus","stream":true,"stream_options":{"include_usage":true},"enable_thinking":true,"messages":[{"role":"user","content":"Fix it."}]}""";

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
    public async Task NonStreamingAnswerCarriesReasoningContentAndReasoningTokens()
    {
        using var plain = JsonDocument.Parse(await PostAsync(
            """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"Fix it."}]}"""));
        using var doc = JsonDocument.Parse(await PostAsync(ThinkingRequest));

        var message = doc.RootElement.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(SimulatorOptions.DefaultReasoningText, message.GetProperty("reasoning_content").GetString());
        Assert.Equal(SimulatorOptions.DefaultResponseText, message.GetProperty("content").GetString());
        var usage = doc.RootElement.GetProperty("usage");
        var reasoningTokens = usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32();
        Assert.True(reasoningTokens > 0);
        var plainUsage = plain.RootElement.GetProperty("usage");
        Assert.Equal(plainUsage.GetProperty("completion_tokens").GetInt32() + reasoningTokens, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task WithoutThinkingThereIsNoReasoningAnywhere()
    {
        var body = await PostAsync(
            """{"model":"qwen3-coder-plus","stream":true,"stream_options":{"include_usage":true},"enable_thinking":false,"messages":[{"role":"user","content":"Hi"}]}""");
        Assert.DoesNotContain("reasoning", body, StringComparison.Ordinal);
        using var whole = JsonDocument.Parse(await PostAsync("""{"messages":[{"role":"user","content":"Hi"}]}"""));
        Assert.False(whole.RootElement.GetProperty("choices")[0].GetProperty("message").TryGetProperty("reasoning_content", out _));
        Assert.False(whole.RootElement.GetProperty("usage").TryGetProperty("completion_tokens_details", out _));
    }

    [Fact]
    public async Task StreamSendsReasoningChunksBeforeContentChunks()
    {
        _sim.Options.ChunkCount = 4;
        var deltas = Deltas(await PostAsync(ThinkingStreamRequest), out var usage);

        // Role, 4 reasoning chunks, 4 content chunks, finish.
        Assert.Equal(1 + 4 + 4 + 1, deltas.Count);
        var reasoning = deltas.Skip(1).Take(4).ToList();
        Assert.All(reasoning, d => Assert.Equal(["reasoning_content"], d.Keys));
        Assert.Equal(SimulatorOptions.DefaultReasoningText, string.Concat(reasoning.Select(d => d["reasoning_content"])));
        var content = deltas.Skip(5).Take(4).ToList();
        Assert.All(content, d => Assert.Equal(["content"], d.Keys));
        Assert.Equal(SimulatorOptions.DefaultResponseText, string.Concat(content.Select(d => d["content"])));
        Assert.Empty(deltas[^1]);
        Assert.NotNull(usage);
        Assert.True(usage!.Value.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task CumulativeChunksStutterReasoningAndContentEachFromTheirStart()
    {
        _sim.Options.ChunkCount = 4;
        _sim.Options.CumulativeChunks = 2;
        _sim.Options.ReasoningText = "aaaabbbbccccdddd";
        _sim.Options.ResponseText = "wwwwxxxxyyyyzzzz";

        var deltas = Deltas(await PostAsync(ThinkingStreamRequest), out _);

        Assert.Equal(["aaaa", "aaaabbbb", "cccc", "dddd"], deltas.Skip(1).Take(4).Select(d => d["reasoning_content"]));
        Assert.Equal(["wwww", "wwwwxxxx", "yyyy", "zzzz"], deltas.Skip(5).Take(4).Select(d => d["content"]));
    }

    [Fact]
    public async Task ThinkingBudgetCutsTheReasoning()
    {
        _sim.Options.ReasoningText = "one two three four five six";

        using var doc = JsonDocument.Parse(await PostAsync(
            """{"model":"qwen3-coder-plus","enable_thinking":true,"thinking_budget":3,"messages":[{"role":"user","content":"Hi"}]}"""));

        var message = doc.RootElement.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("one two three", message.GetProperty("reasoning_content").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [Fact]
    public async Task ThinkingBeforeAToolCall()
    {
        using var doc = JsonDocument.Parse(await PostAsync(
            """{"enable_thinking":true,"tools":[{"type":"function","function":{"name":"search_docs"}}],"messages":[{"role":"user","content":"Find"}]}"""));

        var choice = doc.RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(SimulatorOptions.DefaultReasoningText, choice.GetProperty("message").GetProperty("reasoning_content").GetString());
    }

    [Theory]
    [InlineData("""{"enable_thinking":"yes","messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("""{"enable_thinking":true,"thinking_budget":0,"messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("""{"enable_thinking":true,"thinking_budget":"lots","messages":[{"role":"user","content":"Hi"}]}""")]
    public async Task BadThinkingParametersAre400(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_sim.BaseUrl + "/chat/completions"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        using var response = await _http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<string> PostAsync(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_sim.BaseUrl + "/chat/completions"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        using var response = await _http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    // Each choice chunk's delta as name → string value; the usage chunk, if any, comes back separately.
    private static List<Dictionary<string, string?>> Deltas(string raw, out JsonElement? usage)
    {
        usage = null;
        var deltas = new List<Dictionary<string, string?>>();
        foreach (var frame in raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.StartsWith("data: ", frame);
            var payload = frame["data: ".Length..];
            if (payload == "[DONE]")
            {
                continue;
            }
            using var doc = JsonDocument.Parse(payload);
            var choices = doc.RootElement.GetProperty("choices");
            if (choices.GetArrayLength() == 0)
            {
                usage = doc.RootElement.GetProperty("usage").Clone();
                continue;
            }
            var delta = choices[0].GetProperty("delta");
            deltas.Add(delta.EnumerateObject().Where(p => p.Name != "role")
                .ToDictionary(p => p.Name, p => p.Value.GetString()));
        }
        return deltas;
    }
}
