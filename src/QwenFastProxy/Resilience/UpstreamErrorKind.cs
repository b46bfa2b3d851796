namespace QwenFastProxy.Resilience;

/// <summary>
/// What an upstream error answer is about, beyond its <see cref="UpstreamOutcome"/>: the cases whose cause a
/// client cannot guess from the upstream's words, which <see cref="PlanErrorExplanations"/> explains.
/// </summary>
internal enum UpstreamErrorKind
{
    /// <summary>Nothing the proxy adds to: relayed as it is.</summary>
    None = 0,

    /// <summary>A plan's per-minute token limit, worded as a quota; clears within a minute.</summary>
    PerMinuteQuota,

    /// <summary><c>Arrearage</c>: the account is overdue.</summary>
    Arrearage,

    /// <summary><c>CommodityNotPurchased</c>: the plan (or the model's product) was not bought, or has lapsed.</summary>
    NotPurchased,

    /// <summary>"Free allocated quota exceeded.": the free allocation is used up.</summary>
    FreeAllocationUsedUp,

    /// <summary><c>insufficient_quota</c>: OpenAI-style billing, nothing left to bill against.</summary>
    InsufficientQuota,

    /// <summary>401 "invalid access token or token expired".</summary>
    InvalidAccessToken,

    /// <summary>403 "invalid api-key".</summary>
    InvalidApiKey,

    /// <summary>405 "Coding Plan is currently only available for Coding Agents".</summary>
    CodingAgentsOnly,

    /// <summary>400/404 "model 'x' is not supported" or "The model `x` does not exist".</summary>
    ModelNotSupported,
}
