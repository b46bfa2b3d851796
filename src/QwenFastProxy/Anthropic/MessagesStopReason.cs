namespace QwenFastProxy.Anthropic;

/// <summary>The Anthropic <c>stop_reason</c> values a chat completion can end with.</summary>
internal enum MessagesStopReason : byte
{
    EndTurn,
    MaxTokens,
    ToolUse,
    Refusal,
}

/// <summary>Maps chat completion <c>finish_reason</c> values to Anthropic stop reasons.</summary>
internal static class MessagesStopReasons
{
    /// <summary>stop → end_turn, length → max_tokens, tool_calls (and the older function_call) → tool_use,
    /// content_filter → refusal; anything else ends the turn.</summary>
    public static MessagesStopReason FromFinishReason(ReadOnlySpan<byte> finishReason) =>
        finishReason.SequenceEqual("length"u8) ? MessagesStopReason.MaxTokens
        : finishReason.SequenceEqual("tool_calls"u8) || finishReason.SequenceEqual("function_call"u8) ? MessagesStopReason.ToolUse
        : finishReason.SequenceEqual("content_filter"u8) ? MessagesStopReason.Refusal
        : MessagesStopReason.EndTurn;

    /// <summary>
    /// The reason to report: a turn that produced tool_use blocks but says it simply stopped (Qwen does that) is
    /// reported as tool_use, because clients run the tools only on that stop reason.
    /// </summary>
    public static MessagesStopReason Resolve(MessagesStopReason? finishReason, bool emittedToolUse) =>
        finishReason switch
        {
            null or MessagesStopReason.EndTurn when emittedToolUse => MessagesStopReason.ToolUse,
            null => MessagesStopReason.EndTurn,
            { } reason => reason,
        };

    public static ReadOnlySpan<byte> Utf8Name(MessagesStopReason reason) => reason switch
    {
        MessagesStopReason.MaxTokens => "max_tokens"u8,
        MessagesStopReason.ToolUse => "tool_use"u8,
        MessagesStopReason.Refusal => "refusal"u8,
        _ => "end_turn"u8,
    };
}
