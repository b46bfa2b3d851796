namespace QwenFastProxy.Anthropic;

/// <summary>
/// Token counts of one exchange in the Anthropic sense: <see cref="InputTokens"/> excludes the prompt tokens
/// read from the context cache, which <see cref="CachedInputTokens"/> counts.
/// </summary>
internal readonly record struct MessagesUsage(int InputTokens, int CachedInputTokens, int OutputTokens, int ReasoningTokens)
{
    /// <summary>From the chat completion counts: the cached part of the prompt is taken out of the input.</summary>
    public static MessagesUsage FromChat(int promptTokens, int completionTokens, int cachedTokens, int reasoningTokens) =>
        new(Math.Max(0, promptTokens - cachedTokens), cachedTokens, completionTokens, reasoningTokens);
}
