namespace QwenFastProxy.Auth;

/// <summary>
/// A fixed bearer token: an API key (DashScope, Coding Plan), or a token a test or embedder supplies. Nothing is
/// refreshed, so an upstream 401 goes to the client as it is.
/// </summary>
public sealed class StaticCredentials : IUpstreamCredentials
{
    private readonly UpstreamCredential _credential;
    private readonly DateTimeOffset? _expiry;
    private readonly TimeProvider _time;

    /// <summary>Wraps <paramref name="token"/>; <paramref name="expiry"/> makes <see cref="IsReady"/> fail once passed.</summary>
    /// <param name="token">The bearer token. Secret.</param>
    /// <param name="authType">"qwen-oauth" for an OAuth token, null for an API key.</param>
    /// <param name="expiry">When the token stops working, if known.</param>
    /// <param name="time">Clock for <paramref name="expiry"/>.</param>
    /// <param name="baseUrl">The API base for this token, or null for the proxy's configured one.</param>
    public StaticCredentials(string token, string? authType, DateTimeOffset? expiry = null, TimeProvider? time = null, string? baseUrl = null)
    {
        _credential = new UpstreamCredential("Bearer " + token, baseUrl);
        AuthType = authType;
        _expiry = expiry;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string? AuthType { get; }

    /// <inheritdoc />
    public ValueTask<UpstreamCredential> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_credential);

    /// <inheritdoc />
    public ValueTask<UpstreamCredential?> RenewAsync(UpstreamCredential rejected, CancellationToken cancellationToken) =>
        ValueTask.FromResult<UpstreamCredential?>(null);

    /// <inheritdoc />
    public bool IsReady(out string? reason)
    {
        if (_expiry is { } expiry && expiry <= _time.GetUtcNow())
        {
            reason = "the OAuth access token has expired; run `qwenfastproxy login`";
            return false;
        }

        reason = null;
        return true;
    }
}
