namespace QwenFastProxy.Auth;

/// <summary>What a refresh said.</summary>
internal enum RefreshOutcome
{
    /// <summary>New tokens are in the result.</summary>
    Refreshed,

    /// <summary>400/401: the refresh token is dead; only a new login helps.</summary>
    Rejected,

    /// <summary>Network trouble, timeout, 5xx, 429 or an unusable answer: try again later.</summary>
    Failed,
}

/// <summary>The outcome of a refresh; <paramref name="Message"/> describes errors (never a token).</summary>
internal readonly record struct RefreshResult(RefreshOutcome Outcome, TokenResponse? Tokens, string? Message);
