using System.Text;
using Anthropic.Models.Messages;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>
/// Claude Code's loop through the SDK: tools offered, a tool_use answer, the tool's result sent back after the assistant
/// turn replayed, and the final text.
/// </summary>
public sealed class SdkToolLoopTests
{
    [Theory]
    [InlineData(MessagesMode.Forward, false)]
    [InlineData(MessagesMode.Forward, true)]
    [InlineData(MessagesMode.Translate, false)]
    [InlineData(MessagesMode.Translate, true)]
    public async Task AToolUseAnsweredWithItsResultEndsInText(MessagesMode mode, bool stream)
    {
        await using var proxy = await SdkProxy.StartAsync(mode);
        using var client = proxy.Client();
        List<MessageParam> conversation = [new UserMessageParam("Find the parser's docs.")];

        var first = await SdkCalls.SendAsync(client, SdkRequests.WithTools(conversation), stream);

        Assert.Equal(StopReason.ToolUse, first.StopReason!.Value());
        Assert.Equal("tool_use", MessageText.BlockTypes(first)[^1]);
        var call = MessageText.ToolUse(first);
        Assert.Equal(SdkRequests.ToolName, call.Name);
        Assert.False(string.IsNullOrEmpty(call.ID));
        Assert.Equal("hello world", Assert.Single(call.Input, p => p.Key == "query").Value.GetString());

        conversation.Add(new AssistantMessageParam(SdkCalls.Replay(first)));
        conversation.Add(new UserMessageParam(new List<ContentBlockParam>
        {
            new ToolResultBlockParam { ToolUseID = call.ID, Content = "parser.md: check for an empty buffer first." },
        }));
        var second = await SdkCalls.SendAsync(client, SdkRequests.WithTools(conversation), stream);

        Assert.Equal(StopReason.EndTurn, second.StopReason!.Value());
        Assert.Equal(["text"], MessageText.BlockTypes(second));
        Assert.Equal(SimulatorOptions.DefaultResponseText, MessageText.Text(second));
        // The call's id came back upstream with its result: the pairing survived the round trip in either dialect.
        var upstream = proxy.Simulator.Requests.Snapshot();
        Assert.Equal(2, upstream.Count);
        var resent = Encoding.UTF8.GetString(upstream[1].Body);
        Assert.Contains(call.ID, resent, StringComparison.Ordinal);
        Assert.Contains("check for an empty buffer first.", resent, StringComparison.Ordinal);
    }
}
