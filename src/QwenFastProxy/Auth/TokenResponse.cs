using System.Text;

namespace QwenFastProxy.Auth;

/// <summary>A successful answer of the token endpoint (device-code grant or refresh).</summary>
/// <param name="AccessToken">Secret.</param>
/// <param name="RefreshToken">Secret; null when the server sent none (then the old one is kept).</param>
/// <param name="TokenType">Usually <c>Bearer</c>.</param>
/// <param name="ExpiresIn">Lifetime of the access token, when the server names one.</param>
/// <param name="ResourceUrl">The API host the token is for (e.g. <c>portal.qwen.ai</c>).</param>
internal sealed record TokenResponse(string AccessToken, string? RefreshToken, string? TokenType, TimeSpan? ExpiresIn, string? ResourceUrl)
{
    /// <summary>
    /// The credentials to save: expiry from <paramref name="now"/> + <c>expires_in</c>; the previous refresh token
    /// and resource URL are kept when the answer has none.
    /// </summary>
    public QwenCredentials ToCredentials(DateTimeOffset now, QwenCredentials? previous = null) =>
        new(
            AccessToken,
            TokenType ?? previous?.TokenType ?? "Bearer",
            RefreshToken ?? previous?.RefreshToken,
            ResourceUrl ?? previous?.ResourceUrl,
            ExpiresIn is { } lifetime ? now + lifetime : null);

    /// <summary>Reads a token answer; null when there is no <c>access_token</c>.</summary>
    internal static TokenResponse? From(OAuthJsonObject? body)
    {
        if (body?.String("access_token") is not { } accessToken)
        {
            return null;
        }

        return new TokenResponse(
            accessToken,
            body.String("refresh_token"),
            body.String("token_type"),
            body.Seconds("expires_in"),
            body.String("resource_url"));
    }

    /// <summary>Record printing never shows the tokens.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("AccessToken = <redacted>, RefreshToken = ").Append(RefreshToken is null ? "null" : "<redacted>")
            .Append(", TokenType = ").Append(TokenType ?? "null")
            .Append(", ExpiresIn = ").Append(ExpiresIn?.ToString() ?? "null")
            .Append(", ResourceUrl = ").Append(ResourceUrl ?? "null");
        return true;
    }
}
