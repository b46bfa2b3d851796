namespace QwenFastProxy.Anthropic;

/// <summary>The kind of an Anthropic content block the translation writes.</summary>
internal enum ContentBlockKind : byte
{
    None,
    Thinking,
    Text,
    ToolUse,
}
