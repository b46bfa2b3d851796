using System.Net;

namespace QwenFastProxy.Auth;

/// <summary>The token endpoint, <c>POST {QWEN_OAUTH_BASE_URL}/api/v1/oauth2/token</c>: device-code polling and refresh.</summary>
internal sealed class OAuthTokenClient
{
    private readonly HttpMessageInvoker _http;
    private readonly Uri _endpoint;
    private readonly TimeSpan _timeout;

    /// <summary>Creates the client for the OAuth server at <paramref name="oauthBaseUrl"/>.</summary>
    public OAuthTokenClient(HttpMessageInvoker http, string oauthBaseUrl, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(oauthBaseUrl);
        _http = http;
        _endpoint = OAuthHttp.Endpoint(oauthBaseUrl, QwenOAuthProtocol.TokenPath);
        _timeout = timeout ?? OAuthHttp.DefaultTimeout;
    }

    /// <summary>One poll with the device code and the PKCE verifier. Never throws for server or network trouble.</summary>
    public async Task<DevicePollResult> PollAsync(string deviceCode, string codeVerifier, CancellationToken cancellationToken)
    {
        OAuthHttp.Answer answer;
        try
        {
            answer = await OAuthHttp.PostFormAsync(
                _http,
                _endpoint,
                [
                    new("grant_type", QwenOAuthProtocol.DeviceCodeGrant),
                    new("client_id", QwenOAuthProtocol.ClientId),
                    new("device_code", deviceCode),
                    new("code_verifier", codeVerifier),
                ],
                _timeout,
                cancellationToken).ConfigureAwait(false);
        }
        catch (OAuthException ex)
        {
            return new DevicePollResult(DevicePollOutcome.Transient, null, ex.Message);
        }

        if (answer.Status == HttpStatusCode.OK && TokenResponse.From(answer.Body) is { } tokens)
        {
            return new DevicePollResult(DevicePollOutcome.Approved, tokens, null);
        }

        return answer.Error switch
        {
            "authorization_pending" => new DevicePollResult(DevicePollOutcome.Pending, null, null),
            // Qwen Code has seen slow_down as a 429; other clients as RFC 8628's 400. A bare 429 means the same.
            "slow_down" => new DevicePollResult(DevicePollOutcome.SlowDown, null, null),
            null when answer.Status == HttpStatusCode.TooManyRequests => new DevicePollResult(DevicePollOutcome.SlowDown, null, null),
            "expired_token" => new DevicePollResult(DevicePollOutcome.Expired, null, answer.Describe()),
            "access_denied" => new DevicePollResult(DevicePollOutcome.Denied, null, answer.Describe()),
            null when (int)answer.Status >= 500 => new DevicePollResult(DevicePollOutcome.Transient, null, answer.Describe()),
            _ when answer.Status == HttpStatusCode.OK => new DevicePollResult(
                DevicePollOutcome.Failed, null, "the Qwen OAuth server answered without an access_token"),
            _ => new DevicePollResult(DevicePollOutcome.Failed, null, answer.Describe()),
        };
    }

    /// <summary>
    /// Refreshes with <paramref name="refreshToken"/>. A 400 or 401 is a definitive rejection (the refresh token is
    /// dead, the user must log in again); anything else that is not a token is a transient failure.
    /// </summary>
    public async Task<RefreshResult> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        OAuthHttp.Answer answer;
        try
        {
            answer = await OAuthHttp.PostFormAsync(
                _http,
                _endpoint,
                [
                    new("grant_type", QwenOAuthProtocol.RefreshTokenGrant),
                    new("refresh_token", refreshToken),
                    new("client_id", QwenOAuthProtocol.ClientId),
                ],
                _timeout,
                cancellationToken).ConfigureAwait(false);
        }
        catch (OAuthException ex)
        {
            return new RefreshResult(RefreshOutcome.Failed, null, ex.Message);
        }

        if (answer.Status == HttpStatusCode.OK && TokenResponse.From(answer.Body) is { } tokens)
        {
            return new RefreshResult(RefreshOutcome.Refreshed, tokens, null);
        }

        return answer.Status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized
            ? new RefreshResult(RefreshOutcome.Rejected, null, answer.Describe())
            : new RefreshResult(
                RefreshOutcome.Failed,
                null,
                answer.Status == HttpStatusCode.OK ? "the Qwen OAuth server answered without an access_token" : answer.Describe());
    }
}
