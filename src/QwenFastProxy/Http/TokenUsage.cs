namespace QwenFastProxy.Http;

/// <summary>The token counts an upstream reported for one answer (<c>usage</c> of a chat completion).</summary>
/// <param name="Prompt">Input tokens, cached ones included.</param>
/// <param name="Completion">Output tokens, reasoning included.</param>
/// <param name="Cached">Input tokens served from the context cache.</param>
/// <param name="Reasoning">Output tokens spent thinking.</param>
internal readonly record struct TokenUsage(long Prompt, long Completion, long Cached, long Reasoning);
