namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>How the proxy serves <c>/v1/messages</c>, as each theory's data names it.</summary>
public enum MessagesMode
{
    /// <summary>An API key upstream and forward mode's default: relayed to the plan's Anthropic-compatible endpoint.</summary>
    Forward,

    /// <summary>An OAuth login and translate mode's default: sent as a chat completion and translated back.</summary>
    Translate,
}
