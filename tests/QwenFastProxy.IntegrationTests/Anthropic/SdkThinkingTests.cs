using System.Text.Json;
using Anthropic.Models.Messages;
using QwenFastProxy.Configuration;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>
/// A request with <c>thinking</c> on gets a thinking block before its text: from the Anthropic-compatible upstream in
/// forward mode, from a chat completion with <c>enable_thinking</c> in translate mode (for a model that has the switch).
/// </summary>
public sealed class SdkThinkingTests
{
    // A model the proxy turns thinking on for; the coder models have no such switch.
    private const string ThinkingModel = "qwen-plus";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ForwardModeRelaysTheUpstreamsThinkingBlockBeforeTheText(bool stream)
    {
        await using var proxy = await SdkProxy.StartAsync(MessagesMode.Forward);
        using var client = proxy.Client();

        var message = await SdkCalls.SendAsync(client, SdkRequests.Thinking(SdkProxy.Model), stream);

        Assert.Equal(["thinking", "text"], MessageText.BlockTypes(message));
        var thinking = MessageText.Thinking(message);
        Assert.Equal(SimulatorOptions.DefaultReasoningText, thinking.Thinking);
        Assert.False(string.IsNullOrEmpty(thinking.Signature));
        Assert.Equal(SimulatorOptions.DefaultResponseText, MessageText.Text(message));
        using var upstream = JsonDocument.Parse(Assert.Single(proxy.Simulator.Requests.Snapshot()).Body);
        Assert.Equal(2048, upstream.RootElement.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TranslateModeTurnsQwensThinkingOnAndAnswersWithAThinkingBlockFirst(bool stream)
    {
        await using var proxy = await TranslatingWithAnApiKeyAsync();
        using var client = proxy.Client();

        var message = await SdkCalls.SendAsync(client, SdkRequests.Thinking(ThinkingModel), stream);

        Assert.Equal(["thinking", "text"], MessageText.BlockTypes(message));
        Assert.Equal(SimulatorOptions.DefaultReasoningText, MessageText.Thinking(message).Thinking);
        Assert.Equal(SimulatorOptions.DefaultResponseText, MessageText.Text(message));
        Assert.Equal(ThinkingModel, message.Model.Raw());
        using var upstream = JsonDocument.Parse(Assert.Single(proxy.Simulator.Requests.Snapshot()).Body);
        Assert.Equal(ThinkingModel, upstream.RootElement.GetProperty("model").GetString());
        Assert.True(upstream.RootElement.GetProperty("enable_thinking").GetBoolean());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TranslateModeSendsNoThinkingSwitchForACoderModel(bool stream)
    {
        await using var proxy = await TranslatingWithAnApiKeyAsync();
        using var client = proxy.Client();

        var message = await SdkCalls.SendAsync(client, SdkRequests.Thinking(SdkProxy.Model), stream);

        Assert.Equal(["text"], MessageText.BlockTypes(message));
        Assert.Equal(SimulatorOptions.DefaultResponseText, MessageText.Text(message));
        using var upstream = JsonDocument.Parse(Assert.Single(proxy.Simulator.Requests.Snapshot()).Body);
        Assert.Equal(SdkProxy.Model, upstream.RootElement.GetProperty("model").GetString());
        Assert.False(upstream.RootElement.TryGetProperty("enable_thinking", out _), upstream.RootElement.GetRawText());
    }

    // An OAuth login maps every model outside its short list to the default (a coder model), so a model with the
    // thinking switch is reached with an API key and translate mode asked for.
    private static Task<SdkProxy> TranslatingWithAnApiKeyAsync() =>
        SdkProxy.StartAsync(MessagesMode.Translate, o => o with { ApiKey = ProxyHarness.UpstreamToken, AnthropicMode = AnthropicMode.Translate });
}
