using System.Text;

namespace QwenFastProxy.Auth;

/// <summary>Saved OAuth credentials, in the shape the official Qwen Code CLI and the Go proxy this one replaces write.</summary>
/// <param name="AccessToken">Bearer token for upstream requests. Secret.</param>
/// <param name="TokenType">Usually <c>Bearer</c>; null when absent.</param>
/// <param name="RefreshToken">Token for the refresh grant; null when absent. Secret.</param>
/// <param name="ResourceUrl">API host the token belongs to (for example <c>portal.qwen.ai</c>); null when absent.</param>
/// <param name="ExpiryDate">When the access token expires; null when unknown.</param>
public sealed record QwenCredentials(string AccessToken, string? TokenType, string? RefreshToken, string? ResourceUrl, DateTimeOffset? ExpiryDate)
{
    /// <summary>
    /// True when the token expires within <paramref name="margin"/> of <paramref name="now"/>. An unknown expiry
    /// counts as not expired: the token is used, and an upstream 401 then triggers the refresh.
    /// </summary>
    public bool IsExpired(DateTimeOffset now, TimeSpan margin) => ExpiryDate is { } expiry && now + margin >= expiry;

    /// <summary>Record printing never shows the tokens.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("AccessToken = <redacted>, TokenType = ").Append(TokenType ?? "null")
            .Append(", RefreshToken = ").Append(RefreshToken is null ? "null" : "<redacted>")
            .Append(", ResourceUrl = ").Append(ResourceUrl ?? "null")
            .Append(", ExpiryDate = ").Append(ExpiryDate?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "null");
        return true;
    }
}
