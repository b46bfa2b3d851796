namespace QwenFastProxy.Auth;

/// <summary>What one device-code poll said.</summary>
internal enum DevicePollOutcome
{
    /// <summary>The user approved: tokens are in the result.</summary>
    Approved,

    /// <summary><c>authorization_pending</c>: keep polling.</summary>
    Pending,

    /// <summary><c>slow_down</c> (400 or 429): poll less often.</summary>
    SlowDown,

    /// <summary><c>expired_token</c>: the device code ran out; start again.</summary>
    Expired,

    /// <summary><c>access_denied</c>: the user said no.</summary>
    Denied,

    /// <summary>The server could not be reached or failed (5xx): try again at the next poll.</summary>
    Transient,

    /// <summary>Any other error: stop.</summary>
    Failed,
}

/// <summary>The outcome of one poll; <paramref name="Message"/> describes errors (never a token).</summary>
internal readonly record struct DevicePollResult(DevicePollOutcome Outcome, TokenResponse? Tokens, string? Message);
