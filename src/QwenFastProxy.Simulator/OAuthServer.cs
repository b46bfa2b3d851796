using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace QwenFastProxy.Simulator;

/// <summary>
/// The simulated Qwen OAuth server's state: device codes with their PKCE challenges, issued access tokens, and
/// refresh tokens with rotation. The HTTP side is <see cref="OAuthEndpoints"/>; tests drive the user's part
/// (<see cref="Approve"/>, <see cref="Deny"/>) and read the counters.
/// </summary>
public sealed class OAuthServer
{
    /// <summary>The client id the server accepts: Qwen Code's.</summary>
    public const string ClientId = "f0304373b74a44d2b584a3fb70ca9e56";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, DeviceGrant> _byDeviceCode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceGrant> _byUserCode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _accessTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _refreshTokens = new(StringComparer.Ordinal); // token → still usable
    private readonly List<DateTimeOffset> _pollTimes = [];
    private TaskCompletionSource<string> _nextUserCode = NewUserCodeSource();
    private long _counter;
    private int _refreshes;
    private int _refreshRequests;
    private int _logins;

    internal OAuthServer()
    {
    }

    /// <summary>Knobs; may be changed at any time.</summary>
    public OAuthOptions Options { get; } = new();

    /// <summary>Successful refresh grants so far.</summary>
    public int RefreshCount => Volatile.Read(ref _refreshes);

    /// <summary>Refresh grants received so far, refused ones included.</summary>
    public int RefreshRequestCount => Volatile.Read(ref _refreshRequests);

    /// <summary>Device-code logins completed (tokens issued to a poll).</summary>
    public int LoginCount => Volatile.Read(ref _logins);

    /// <summary>When each device-code poll arrived (by <see cref="OAuthOptions.Time"/>), oldest first.</summary>
    public IReadOnlyList<DateTimeOffset> PollTimes
    {
        get
        {
            lock (_gate)
            {
                return _pollTimes.ToArray();
            }
        }
    }

    /// <summary>Completes with the user code of the next device authorization issued (or the last one, if one is waiting).</summary>
    public Task<string> NextUserCodeAsync()
    {
        lock (_gate)
        {
            return _nextUserCode.Task;
        }
    }

    /// <summary>The user approves the login with <paramref name="userCode"/>; false when there is no such pending code.</summary>
    public bool Approve(string userCode) => Decide(userCode, GrantStatus.Approved);

    /// <summary>The user refuses the login with <paramref name="userCode"/>.</summary>
    public bool Deny(string userCode) => Decide(userCode, GrantStatus.Denied);

    /// <summary>The device code with <paramref name="userCode"/> expires now, whatever its lifetime.</summary>
    public bool Expire(string userCode) => Decide(userCode, GrantStatus.Expired);

    /// <summary>Every access token issued so far stops working (refresh tokens still do): a server-side revocation.</summary>
    public void RevokeAccessTokens()
    {
        lock (_gate)
        {
            _accessTokens.Clear();
        }
    }

    /// <summary>
    /// Issues tokens as a completed login would, without the device flow: for the demo and for tests that start
    /// from saved credentials.
    /// </summary>
    /// <param name="resourceUrl">The <c>resource_url</c> to report (usually this simulator's address).</param>
    public IssuedTokens IssueTokens(string? resourceUrl)
    {
        lock (_gate)
        {
            return IssueLocked(resourceUrl, includeRefreshToken: true, refreshToken: null);
        }
    }

    /// <summary>True when <paramref name="accessToken"/> was issued here, is not revoked and has not expired.</summary>
    public bool IsAccessTokenValid(string accessToken)
    {
        lock (_gate)
        {
            return _accessTokens.TryGetValue(accessToken, out var expiry) && Options.Time.GetUtcNow() < expiry;
        }
    }

    /// <summary>With <see cref="OAuthOptions.ValidateAccessTokens"/> on: whether the request's bearer token is live.</summary>
    internal bool IsAuthorized(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        if (!Options.ValidateAccessTokens)
        {
            return true;
        }

        var header = request.Headers.Authorization;
        const string scheme = "Bearer ";
        return header.Count == 1 && header[0] is { } value
            && value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && IsAccessTokenValid(value[scheme.Length..].Trim());
    }

    internal DeviceAuthorizationAnswer StartDeviceAuthorization(string codeChallenge)
    {
        var now = Options.Time.GetUtcNow();
        var lifetime = Options.DeviceCodeLifetime;
        TaskCompletionSource<string> announce;
        DeviceGrant grant;
        lock (_gate)
        {
            grant = new DeviceGrant(Token("dc"), UserCode(), codeChallenge, now + lifetime);
            _byDeviceCode[grant.DeviceCode] = grant;
            _byUserCode[grant.UserCode] = grant;
            announce = _nextUserCode;
            if (announce.Task.IsCompleted)
            {
                announce = _nextUserCode = NewUserCodeSource();
            }
        }

        announce.TrySetResult(grant.UserCode);
        return new DeviceAuthorizationAnswer(grant.DeviceCode, grant.UserCode, lifetime, Options.PollInterval);
    }

    internal TokenAnswer PollDeviceCode(string deviceCode, string codeVerifier, string? resourceUrl)
    {
        var now = Options.Time.GetUtcNow();
        lock (_gate)
        {
            _pollTimes.Add(now);
            if (!_byDeviceCode.TryGetValue(deviceCode, out var grant) || grant.Status == GrantStatus.Consumed)
            {
                return TokenAnswer.Error(400, "invalid_grant", "The device code is unknown or was already used.");
            }

            if (!string.Equals(Challenge(codeVerifier), grant.CodeChallenge, StringComparison.Ordinal))
            {
                return TokenAnswer.Error(400, "invalid_grant", "PKCE verification failed: code_verifier does not match code_challenge.");
            }

            if (grant.Status == GrantStatus.Expired || now >= grant.ExpiresAt)
            {
                grant.Status = GrantStatus.Expired;
                return TokenAnswer.Error(400, "expired_token", "The device code has expired.");
            }

            if (grant.Status == GrantStatus.Denied)
            {
                return TokenAnswer.Error(400, "access_denied", "The user denied the authorization request.");
            }

            grant.Polls++;
            if (grant.Status == GrantStatus.Pending && grant.Polls <= Options.SlowDownResponses)
            {
                return TokenAnswer.Error(Options.SlowDownStatusCode, "slow_down", "Polling too frequently; slow down.");
            }

            int autoApprove = Options.AutoApproveAfterPolls;
            if (grant.Status == GrantStatus.Pending && autoApprove > 0 && grant.Polls >= autoApprove)
            {
                grant.Status = GrantStatus.Approved;
            }

            if (grant.Status != GrantStatus.Approved)
            {
                return TokenAnswer.Error(400, "authorization_pending", "The authorization request is still pending.");
            }

            grant.Status = GrantStatus.Consumed;
            _logins++;
            return TokenAnswer.Tokens(IssueLocked(resourceUrl, includeRefreshToken: true, refreshToken: null));
        }
    }

    internal TokenAnswer Refresh(string refreshToken, string? resourceUrl)
    {
        Interlocked.Increment(ref _refreshRequests);
        if (Options.RejectRefreshes)
        {
            return TokenAnswer.Error(400, "invalid_grant", "The refresh token is invalid or has been revoked.");
        }

        if (Options.RefreshFailureStatusCode is > 0 and var failure)
        {
            return TokenAnswer.Error(failure, "server_error", "The authorization server is temporarily unavailable.");
        }

        lock (_gate)
        {
            if (!_refreshTokens.TryGetValue(refreshToken, out var usable))
            {
                return TokenAnswer.Error(400, "invalid_grant", "The refresh token is unknown.");
            }

            if (!usable)
            {
                return TokenAnswer.Error(400, "invalid_grant", "The refresh token was already used.");
            }

            bool rotate = Options.RotateRefreshTokens;
            if (rotate)
            {
                _refreshTokens[refreshToken] = false;
            }

            _refreshes++;
            return TokenAnswer.Tokens(IssueLocked(
                resourceUrl,
                includeRefreshToken: rotate || Options.ReturnRefreshTokenOnRefresh,
                refreshToken: rotate ? null : refreshToken));
        }
    }

    private IssuedTokens IssueLocked(string? resourceUrl, bool includeRefreshToken, string? refreshToken)
    {
        var lifetime = Options.AccessTokenLifetime;
        var accessToken = Token("at");
        _accessTokens[accessToken] = Options.Time.GetUtcNow() + lifetime;
        if (refreshToken is null)
        {
            refreshToken = Token("rt");
            _refreshTokens[refreshToken] = true;
        }

        return new IssuedTokens(accessToken, includeRefreshToken ? refreshToken : null, lifetime, Options.ResourceUrl ?? resourceUrl);
    }

    private bool Decide(string userCode, GrantStatus decision)
    {
        lock (_gate)
        {
            if (!_byUserCode.TryGetValue(userCode, out var grant) || grant.Status != GrantStatus.Pending)
            {
                return false;
            }

            grant.Status = decision;
            return true;
        }
    }

    // Distinct per simulator and unguessable enough that a test cannot pass by accident with a made-up token.
    private string Token(string kind) => string.Create(
        CultureInfo.InvariantCulture, $"sim-{kind}-{Interlocked.Increment(ref _counter)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");

    // Qwen's user codes look like "ABCD-EFGH"; letters without the ambiguous I and O.
    private static string UserCode()
    {
        const string Letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        Span<char> code = stackalloc char[9];
        for (int i = 0; i < code.Length; i++)
        {
            code[i] = i == 4 ? '-' : Letters[RandomNumberGenerator.GetInt32(Letters.Length)];
        }

        return new string(code);
    }

    internal static string Challenge(string verifier) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    private static TaskCompletionSource<string> NewUserCodeSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private enum GrantStatus
    {
        Pending,
        Approved,
        Denied,
        Expired,
        Consumed,
    }

    private sealed class DeviceGrant(string deviceCode, string userCode, string codeChallenge, DateTimeOffset expiresAt)
    {
        public string DeviceCode { get; } = deviceCode;

        public string UserCode { get; } = userCode;

        public string CodeChallenge { get; } = codeChallenge;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public GrantStatus Status { get; set; }

        public int Polls { get; set; }
    }
}

/// <summary>Tokens the simulated OAuth server issued.</summary>
/// <param name="AccessToken">Valid for <paramref name="ExpiresIn"/> on the simulator's chat endpoint.</param>
/// <param name="RefreshToken">Null when the answer left it out.</param>
/// <param name="ExpiresIn">Access token lifetime.</param>
/// <param name="ResourceUrl">The <c>resource_url</c> reported, if any.</param>
public sealed record IssuedTokens(string AccessToken, string? RefreshToken, TimeSpan ExpiresIn, string? ResourceUrl);

/// <summary>A device authorization as the endpoint reports it.</summary>
internal sealed record DeviceAuthorizationAnswer(string DeviceCode, string UserCode, TimeSpan ExpiresIn, TimeSpan Interval);

/// <summary>A token endpoint answer: tokens, or an OAuth error with its status.</summary>
internal sealed record TokenAnswer(int Status, IssuedTokens? Issued, string? ErrorCode, string? Description)
{
    public static TokenAnswer Tokens(IssuedTokens issued) => new(200, issued, null, null);

    public static TokenAnswer Error(int status, string code, string description) => new(status, null, code, description);
}
