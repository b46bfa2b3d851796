namespace QwenFastProxy.Auth;

/// <summary>
/// The constants of Qwen's OAuth2 device flow, as the official Qwen Code client sends them
/// (QwenLM/qwen-code, <c>packages/core/src/qwen/qwenOAuth2.ts</c>).
/// </summary>
internal static class QwenOAuthProtocol
{
    /// <summary>The public client id of Qwen Code.</summary>
    public const string ClientId = "f0304373b74a44d2b584a3fb70ca9e56";

    /// <summary>The scopes Qwen Code asks for.</summary>
    public const string Scope = "openid profile email model.completion";

    /// <summary>Device authorization endpoint, relative to <c>QWEN_OAUTH_BASE_URL</c>.</summary>
    public const string DeviceCodePath = "/api/v1/oauth2/device/code";

    /// <summary>Token endpoint (device-code polling and refresh), relative to <c>QWEN_OAUTH_BASE_URL</c>.</summary>
    public const string TokenPath = "/api/v1/oauth2/token";

    /// <summary>RFC 8628's grant type for polling with a device code.</summary>
    public const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>RFC 6749's refresh grant.</summary>
    public const string RefreshTokenGrant = "refresh_token";

    /// <summary>The only PKCE method Qwen Code uses.</summary>
    public const string ChallengeMethod = "S256";

    /// <summary>Appended to <c>verification_uri</c> when the server sends no <c>verification_uri_complete</c>.</summary>
    public const string ClientQueryValue = "qwen-code";

    /// <summary>The <c>X-DashScope-AuthType</c> value of OAuth-issued tokens.</summary>
    public const string AuthType = "qwen-oauth";
}
