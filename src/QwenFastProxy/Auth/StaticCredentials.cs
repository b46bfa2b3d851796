namespace QwenFastProxy.Auth;

/// <summary>
/// A fixed bearer token: an API key (DashScope, Coding Plan), or an OAuth access token read at start-up
/// until the refreshing token provider takes over.
/// </summary>
public sealed class StaticCredentials : IUpstreamCredentials
{
    private readonly string _authorization;
    private readonly DateTimeOffset? _expiry;
    private readonly TimeProvider _time;

    /// <summary>Wraps <paramref name="token"/>; <paramref name="expiry"/> makes <see cref="IsReady"/> fail once passed.</summary>
    public StaticCredentials(string token, string? authType, DateTimeOffset? expiry = null, TimeProvider? time = null)
    {
        _authorization = "Bearer " + token;
        AuthType = authType;
        _expiry = expiry;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string? AuthType { get; }

    /// <inheritdoc />
    public ValueTask<string> GetAuthorizationAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_authorization);

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
