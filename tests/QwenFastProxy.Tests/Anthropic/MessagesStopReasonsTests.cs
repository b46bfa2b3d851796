using System.Text;
using QwenFastProxy.Anthropic;

namespace QwenFastProxy.Tests.Anthropic;

public sealed class MessagesStopReasonsTests
{
    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("function_call", "tool_use")]
    [InlineData("content_filter", "refusal")]
    [InlineData("null", "end_turn")]
    [InlineData("", "end_turn")]
    public void MapsFinishReasons(string finishReason, string stopReason) =>
        Assert.Equal(stopReason, Encoding.UTF8.GetString(MessagesStopReasons.Utf8Name(MessagesStopReasons.FromFinishReason(Encoding.UTF8.GetBytes(finishReason)))));

    [Theory]
    [InlineData(null, false, MessagesStopReason.EndTurn)]
    [InlineData(null, true, MessagesStopReason.ToolUse)]
    [InlineData(MessagesStopReason.EndTurn, true, MessagesStopReason.ToolUse)]
    [InlineData(MessagesStopReason.MaxTokens, true, MessagesStopReason.MaxTokens)]
    [InlineData(MessagesStopReason.ToolUse, false, MessagesStopReason.ToolUse)]
    [InlineData(MessagesStopReason.Refusal, false, MessagesStopReason.Refusal)]
    internal void ATurnWithToolCallsThatJustStoppedIsToolUse(MessagesStopReason? finishReason, bool emittedToolUse, MessagesStopReason expected) =>
        Assert.Equal(expected, MessagesStopReasons.Resolve(finishReason, emittedToolUse));
}
