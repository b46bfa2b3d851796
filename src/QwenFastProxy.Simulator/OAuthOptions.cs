namespace QwenFastProxy.Simulator;

/// <summary>
/// Behaviour knobs of the simulated Qwen OAuth server (<see cref="OAuthServer"/>). Like <see cref="SimulatorOptions"/>
/// they may change while the simulator runs; each request reads them when it arrives.
/// </summary>
/// <remarks>
/// Where Qwen's real behaviour is not documented the defaults are guesses, named as such: the device code's
/// lifetime (600 s), the access token's lifetime (3600 s), that no <c>interval</c> is sent, that <c>slow_down</c>
/// comes as a 429, and that refresh tokens rotate (a used one is refused).
/// </remarks>
public sealed class OAuthOptions
{
    private TimeProvider _time = TimeProvider.System;
    private volatile bool _validateAccessTokens;
    private long _deviceCodeLifetimeTicks = TimeSpan.FromMinutes(10).Ticks;
    private long _accessTokenLifetimeTicks = TimeSpan.FromHours(1).Ticks;
    private long _pollIntervalTicks;
    private int _autoApproveAfterPolls;
    private int _slowDownResponses;
    private int _slowDownStatusCode = 429;
    private volatile bool _rotateRefreshTokens = true;
    private volatile bool _returnRefreshTokenOnRefresh = true;
    private volatile bool _rejectRefreshes;
    private int _refreshFailureStatusCode;
    private string? _resourceUrl;

    /// <summary>The clock for device-code and token lifetimes; tests share a fake one with the proxy.</summary>
    public TimeProvider Time
    {
        get => Volatile.Read(ref _time);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Volatile.Write(ref _time, value);
        }
    }

    /// <summary>
    /// When true, <c>/v1/chat/completions</c> accepts only a live access token this server issued and answers
    /// anything else (unknown, expired, revoked) with Qwen's 401 <c>invalid_api_key</c> body.
    /// </summary>
    public bool ValidateAccessTokens
    {
        get => _validateAccessTokens;
        set => _validateAccessTokens = value;
    }

    /// <summary>How long a device code stays valid (<c>expires_in</c> of the device authorization).</summary>
    public TimeSpan DeviceCodeLifetime
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _deviceCodeLifetimeTicks));
        set => Volatile.Write(ref _deviceCodeLifetimeTicks, Positive(value).Ticks);
    }

    /// <summary>Lifetime of issued access tokens (<c>expires_in</c> of the token answer).</summary>
    public TimeSpan AccessTokenLifetime
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _accessTokenLifetimeTicks));
        set => Volatile.Write(ref _accessTokenLifetimeTicks, Positive(value).Ticks);
    }

    /// <summary>The <c>interval</c> sent with a device code; zero (the default, like Qwen) sends none.</summary>
    public TimeSpan PollInterval
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _pollIntervalTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _pollIntervalTicks, value.Ticks);
        }
    }

    /// <summary>
    /// When above zero, a device code is approved by itself at that poll (standing in for a user who is quick or
    /// slow); zero waits for <see cref="OAuthServer.Approve"/> or a visit to the verification URL.
    /// </summary>
    public int AutoApproveAfterPolls
    {
        get => Volatile.Read(ref _autoApproveAfterPolls);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _autoApproveAfterPolls, value);
        }
    }

    /// <summary>The first this-many polls of every device code are answered <c>slow_down</c>.</summary>
    public int SlowDownResponses
    {
        get => Volatile.Read(ref _slowDownResponses);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _slowDownResponses, value);
        }
    }

    /// <summary>The status of a <c>slow_down</c> answer: 429 (as Qwen Code saw it) or 400 (RFC 8628).</summary>
    public int SlowDownStatusCode
    {
        get => Volatile.Read(ref _slowDownStatusCode);
        set
        {
            if (value is not (400 or 429))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "slow_down comes as 400 or 429.");
            }

            Volatile.Write(ref _slowDownStatusCode, value);
        }
    }

    /// <summary>Every refresh issues a new refresh token and retires the old one (a reused one is refused).</summary>
    public bool RotateRefreshTokens
    {
        get => _rotateRefreshTokens;
        set => _rotateRefreshTokens = value;
    }

    /// <summary>Without rotation: whether a refresh answer repeats the refresh token (false leaves it out).</summary>
    public bool ReturnRefreshTokenOnRefresh
    {
        get => _returnRefreshTokenOnRefresh;
        set => _returnRefreshTokenOnRefresh = value;
    }

    /// <summary>Every refresh is refused with 400 <c>invalid_grant</c> (a login revoked on the server).</summary>
    public bool RejectRefreshes
    {
        get => _rejectRefreshes;
        set => _rejectRefreshes = value;
    }

    /// <summary>When non-zero, refreshes fail with this status (e.g. 503): a passing server problem.</summary>
    public int RefreshFailureStatusCode
    {
        get => Volatile.Read(ref _refreshFailureStatusCode);
        set => Volatile.Write(ref _refreshFailureStatusCode, value);
    }

    /// <summary>
    /// The <c>resource_url</c> of issued tokens; null names this simulator itself (<c>http://host:port</c>, from the
    /// request), so a proxy that follows <c>resource_url</c> stays on the simulator.
    /// </summary>
    public string? ResourceUrl
    {
        get => Volatile.Read(ref _resourceUrl);
        set => Volatile.Write(ref _resourceUrl, value);
    }

    private static TimeSpan Positive(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
        return value;
    }
}
