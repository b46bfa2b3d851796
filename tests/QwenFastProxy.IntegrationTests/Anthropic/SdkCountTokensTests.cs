using System.Net;
using System.Text.Json;
using Anthropic.Models.Messages;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary><c>count_tokens</c>, which Claude Code calls before it sends: answered by the proxy in both modes.</summary>
public sealed class SdkCountTokensTests
{
    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task TheSdkGetsAPositiveEstimateWithoutAnUpstreamCall(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode);
        using var client = proxy.Client();

        var counted = await client.Sdk.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = SdkProxy.Model,
            System = "You are a coding agent.",
            Tools = [SdkRequests.SearchDocs],
            Messages = [new UserMessageParam("Find the parser's docs.")],
        });
        var bare = await client.Sdk.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = SdkProxy.Model,
            Messages = [new UserMessageParam("Find the parser's docs.")],
        });

        Assert.True(bare.InputTokens > 0);
        Assert.True(counted.InputTokens > bare.InputTokens); // the system prompt and the tool count too
        Assert.Empty(proxy.Simulator.Requests.Snapshot());
    }

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task TheBetaQueryOnThePathIsServedLikeThePlainPath(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode);
        const string Body = """{"model":"qwen3-coder-plus","max_tokens":256,"messages":[{"role":"user","content":"Hello there"}]}""";

        var (countStatus, count) = await proxy.PostRawAsync("v1/messages/count_tokens?beta=true", Body);
        var (messageStatus, message) = await proxy.PostRawAsync("v1/messages?beta=true", Body);

        Assert.Equal(HttpStatusCode.OK, countStatus);
        using (var counted = JsonDocument.Parse(count))
        {
            Assert.True(counted.RootElement.GetProperty("input_tokens").GetInt32() > 0);
        }
        Assert.True(messageStatus == HttpStatusCode.OK, message);
        using var answer = JsonDocument.Parse(message);
        Assert.Equal("message", answer.RootElement.GetProperty("type").GetString());
    }
}
