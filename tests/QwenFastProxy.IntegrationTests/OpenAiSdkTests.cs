using System.ClientModel;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests;

/// <summary>The official OpenAI .NET SDK, pointed at the proxy, gets the upstream's answers unchanged.</summary>
public sealed class OpenAiSdkTests : IAsyncLifetime
{
    private ProxyHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await ProxyHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private ChatClient Chat(string model = "qwen3-coder-plus") =>
        new(model, new ApiKeyCredential("any-client-key"), new OpenAIClientOptions { Endpoint = _harness.BaseUrl, NetworkTimeout = TimeSpan.FromSeconds(30) });

    [Fact]
    public async Task NonStreamingCompletionReturnsTheUpstreamText()
    {
        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("Fix my parser")]);

        Assert.Equal(SimulatorOptions.DefaultResponseText, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("qwen3-coder-plus", completion.Model);
        Assert.True(completion.Usage.TotalTokenCount > 0);
    }

    [Fact]
    public async Task ADeveloperMessageAndStoredOutputAreShapedForQwen()
    {
        var options = new ChatCompletionOptions { StoredOutputEnabled = true };
#pragma warning disable OPENAI001 // the SDK marks its developer message as preview; it is what o-series-aware clients send
        ChatMessage developer = new DeveloperChatMessage("Answer briefly.");
#pragma warning restore OPENAI001

        ChatCompletion completion = await Chat().CompleteChatAsync([developer, new UserChatMessage("Fix my parser")], options);

        Assert.Equal(SimulatorOptions.DefaultResponseText, completion.Content[0].Text);
        var sent = Encoding.UTF8.GetString(Assert.Single(_harness.Simulator.Requests.Snapshot()).Body);
        using var upstream = System.Text.Json.JsonDocument.Parse(sent);
        Assert.Equal("system", upstream.RootElement.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Contains("Answer briefly.", upstream.RootElement.GetProperty("messages")[0].GetProperty("content").GetRawText(), StringComparison.Ordinal);
        Assert.False(upstream.RootElement.TryGetProperty("store", out _), sent);
    }

    [Fact]
    public async Task WithShapingOffTheSdksDeveloperMessageAndStoreGoUpstreamAsSent()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RequestShaping = QwenFastProxy.Configuration.RequestShaping.None });
        var chat = new ChatClient("qwen3-coder-plus", new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = harness.BaseUrl });
#pragma warning disable OPENAI001 // see above
        ChatMessage developer = new DeveloperChatMessage("Answer briefly.");
#pragma warning restore OPENAI001

        await chat.CompleteChatAsync([developer, new UserChatMessage("Fix my parser")], new ChatCompletionOptions { StoredOutputEnabled = true });

        using var upstream = System.Text.Json.JsonDocument.Parse(Assert.Single(harness.Simulator.Requests.Snapshot()).Body);
        Assert.Equal("developer", upstream.RootElement.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.True(upstream.RootElement.GetProperty("store").GetBoolean());
    }

    [Fact]
    public async Task StreamingCompletionDeliversEveryDeltaInOrder()
    {
        _harness.Simulator.Options.ChunkCount = 12;
        var text = new StringBuilder();
        var updates = 0;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Explain")]))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            finish ??= update.FinishReason;
        }

        Assert.Equal(SimulatorOptions.DefaultResponseText, text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.True(updates >= 12, $"expected at least 12 updates, got {updates}");
    }

    [Fact]
    public async Task StreamingUsageChunkArrivesWhenAskedFor()
    {
        ChatTokenUsage? usage = null;
        var options = new ChatCompletionOptions();
        // The SDK asks for include_usage on streaming requests by default.
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Count")], options))
        {
            usage ??= update.Usage;
        }
        Assert.NotNull(usage);
        Assert.True(usage!.TotalTokenCount > 0);
    }

    [Fact]
    public async Task ToolCallsArriveIntactWithoutStreaming()
    {
        var options = new ChatCompletionOptions { Tools = { WeatherTool() } };

        ChatCompletion completion = await Chat().CompleteChatAsync([new UserChatMessage("Weather in Paris?")], options);

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("""{"query":"hello world"}""", call.FunctionArguments.ToString());
    }

    [Fact]
    public async Task ToolCallFragmentsArriveInOrderWhenStreaming()
    {
        var options = new ChatCompletionOptions { Tools = { WeatherTool() } };
        var arguments = new StringBuilder();
        string? name = null;
        string? id = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat().CompleteChatStreamingAsync([new UserChatMessage("Weather?")], options))
        {
            foreach (var toolUpdate in update.ToolCallUpdates)
            {
                Assert.Equal(0, toolUpdate.Index);
                name ??= toolUpdate.FunctionName;
                id ??= toolUpdate.ToolCallId;
                arguments.Append(toolUpdate.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }

        Assert.Equal("get_weather", name);
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal("""{"query":"hello world"}""", arguments.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task ModelsListIsAnsweredLocally()
    {
        var client = new OpenAIModelClient(new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = _harness.BaseUrl });

        OpenAIModelCollection models = await client.GetModelsAsync();

        var ids = models.Select(m => m.Id).ToList();
        Assert.Contains("qwen3-coder-plus", ids);
        Assert.Contains("qwen3-coder-flash", ids);
        Assert.Equal(0, _harness.Simulator.Requests.Count);
    }

    private static ChatTool WeatherTool() => ChatTool.CreateFunctionTool(
        "get_weather",
        "Current weather for a place",
        BinaryData.FromString("""{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}"""));
}
