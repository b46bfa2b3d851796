namespace QwenFastProxy.Resilience;

/// <summary>
/// Recognises an upstream refusal of a prompt longer than the model's context (DashScope: "Range of input length
/// should be [1, N]"; OpenAI-style: "maximum context length", <c>context_length_exceeded</c>), so the Messages API can
/// say it the way Anthropic does: Claude Code compacts the conversation when an error starts with
/// <c>prompt is too long</c>.
/// </summary>
internal static class ContextOverflow
{
    /// <summary>How Anthropic words it, and what its clients look for.</summary>
    public const string AnthropicPrefix = "prompt is too long";

    public static bool Matches(ReadOnlySpan<byte> errorBody) =>
        Contains(errorBody, "range of input length"u8)
        || Contains(errorBody, "context_length_exceeded"u8)
        || Contains(errorBody, "maximum context length"u8)
        || Contains(errorBody, "prompt is too long"u8)
        || Contains(errorBody, "input is too long"u8);

    private static bool Contains(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerNeedle)
    {
        for (var at = 0; text.Length - at >= lowerNeedle.Length; at++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(text.Slice(at, lowerNeedle.Length), lowerNeedle))
            {
                return true;
            }
        }
        return false;
    }
}
