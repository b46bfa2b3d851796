using Anthropic.Models.Messages;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>What the SDK's Message holds, block by block, in the terms the tests compare.</summary>
internal static class MessageText
{
    /// <summary>The content blocks' types, in order: <c>text</c>, <c>thinking</c>, <c>tool_use</c>…</summary>
    public static IReadOnlyList<string> BlockTypes(Message message) => [.. message.Content.Select(b => b.Type.Raw())];

    /// <summary>The joined text of the text blocks.</summary>
    public static string Text(Message message) =>
        string.Concat(message.Content.Select(b => b.TryPickText(out var text) ? text.Text : ""));

    public static ThinkingBlock Thinking(Message message) =>
        Assert.Single(message.Content.Select(b => b.TryPickThinking(out var thinking) ? thinking : null).OfType<ThinkingBlock>());

    public static ToolUseBlock ToolUse(Message message) =>
        Assert.Single(message.Content.Select(b => b.TryPickToolUse(out var toolUse) ? toolUse : null).OfType<ToolUseBlock>());
}
