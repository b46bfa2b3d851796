namespace QwenFastProxy.Auth;

/// <summary>The device authorization server's answer (RFC 8628 §3.2).</summary>
/// <param name="DeviceCode">Polled with; never shown to the user.</param>
/// <param name="UserCode">The code the user confirms in the browser.</param>
/// <param name="VerificationUri">The page where the user approves.</param>
/// <param name="VerificationUriComplete">The same page with the user code filled in, when the server sends one.</param>
/// <param name="ExpiresIn">How long the device code stays valid.</param>
/// <param name="Interval">The polling interval the server asks for, when it names one.</param>
internal sealed record DeviceAuthorization(
    string DeviceCode,
    string UserCode,
    string VerificationUri,
    string? VerificationUriComplete,
    TimeSpan ExpiresIn,
    TimeSpan? Interval)
{
    /// <summary>
    /// The URL to show and open: <c>verification_uri_complete</c>, else <c>verification_uri?user_code=…&amp;client=qwen-code</c>
    /// (what Qwen Code opens).
    /// </summary>
    public string VerificationUrl =>
        VerificationUriComplete
        ?? string.Concat(
            VerificationUri,
            VerificationUri.Contains('?', StringComparison.Ordinal) ? "&" : "?",
            "user_code=",
            Uri.EscapeDataString(UserCode),
            "&client=",
            QwenOAuthProtocol.ClientQueryValue);

    /// <summary>Record printing never shows the device code.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("UserCode = ").Append(UserCode).Append(", VerificationUrl = ").Append(VerificationUrl);
        return true;
    }
}
