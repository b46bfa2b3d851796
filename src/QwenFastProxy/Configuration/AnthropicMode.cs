namespace QwenFastProxy.Configuration;

/// <summary>How <c>/v1/messages</c> reaches Qwen (<c>ANTHROPIC_MODE</c>).</summary>
public enum AnthropicMode
{
    /// <summary>Relayed as it is to the plan's Anthropic-compatible endpoint (needs an API key).</summary>
    Forward,

    /// <summary>Turned into a chat completion and its answer back into Messages events (works with any login).</summary>
    Translate,
}
