namespace QwenFastProxy.Auth;

/// <summary>Tuning of <see cref="OAuthTokenProvider"/>.</summary>
public sealed record OAuthTokenProviderOptions
{
    /// <summary>Refresh this long before the access token expires (30 minutes, as the Go proxy this one replaces did). See <see cref="OAuthTokenProvider"/>.</summary>
    public TimeSpan RefreshMargin { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>After a refresh failed for a passing reason (network, 5xx), the next try waits this long.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A token that a forced refresh (after an upstream 401) produced is not force-refreshed again within this
    /// time: an upstream that refuses brand-new tokens gets its 401 passed on instead of a refresh per request.
    /// </summary>
    public TimeSpan MinForcedRefreshInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>QWEN_API_BASE_URL</c>, normalised: wins over the credentials' <c>resource_url</c>.</summary>
    public string? ForcedBaseUrl { get; init; }
}
