namespace QwenFastProxy.Auth;

/// <summary>Step one of the device flow: <c>POST {QWEN_OAUTH_BASE_URL}/api/v1/oauth2/device/code</c>.</summary>
internal sealed class DeviceAuthorizationClient
{
    private readonly HttpMessageInvoker _http;
    private readonly Uri _endpoint;
    private readonly TimeSpan _timeout;

    /// <summary>Creates the client for the OAuth server at <paramref name="oauthBaseUrl"/> (e.g. <c>https://chat.qwen.ai</c>).</summary>
    public DeviceAuthorizationClient(HttpMessageInvoker http, string oauthBaseUrl, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(oauthBaseUrl);
        _http = http;
        _endpoint = OAuthHttp.Endpoint(oauthBaseUrl, QwenOAuthProtocol.DeviceCodePath);
        _timeout = timeout ?? OAuthHttp.DefaultTimeout;
    }

    /// <summary>
    /// Asks for a device code bound to <paramref name="codeChallenge"/> (S256). Throws <see cref="OAuthException"/>
    /// with a message for the user when the server is unreachable, refuses, or answers something unusable.
    /// </summary>
    public async Task<DeviceAuthorization> RequestAsync(string codeChallenge, CancellationToken cancellationToken)
    {
        var answer = await OAuthHttp.PostFormAsync(
            _http,
            _endpoint,
            [
                new("client_id", QwenOAuthProtocol.ClientId),
                new("scope", QwenOAuthProtocol.Scope),
                new("code_challenge", codeChallenge),
                new("code_challenge_method", QwenOAuthProtocol.ChallengeMethod),
            ],
            _timeout,
            cancellationToken).ConfigureAwait(false);

        if ((int)answer.Status is < 200 or > 299)
        {
            throw new OAuthException($"the Qwen OAuth server refused the device authorization request ({answer.Describe()})");
        }

        var body = answer.Body;
        string? deviceCode = body?.String("device_code");
        string? userCode = body?.String("user_code");
        string? verificationUri = body?.String("verification_uri");
        string? complete = body?.String("verification_uri_complete");
        if (deviceCode is null || userCode is null || (verificationUri is null && complete is null))
        {
            throw new OAuthException(
                $"the Qwen OAuth server's device authorization answer lacks device_code, user_code or verification_uri ({answer.Describe()})");
        }

        // RFC 8628 makes expires_in required; a server that leaves it out gets the common 10-minute default.
        TimeSpan expiresIn = body!.Seconds("expires_in") ?? TimeSpan.FromMinutes(10);
        return new DeviceAuthorization(deviceCode, userCode, verificationUri ?? complete!, complete, expiresIn, body.Seconds("interval"));
    }
}
