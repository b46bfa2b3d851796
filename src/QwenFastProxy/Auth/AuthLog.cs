using Microsoft.Extensions.Logging;
using ZLogger;

namespace QwenFastProxy.Auth;

/// <summary>The token provider's log lines. None of them carries a token: only expiries, sources and reasons.</summary>
internal static partial class AuthLog
{
    [ZLoggerMessage(LogLevel.Information, "Qwen access token refreshed; it expires {expiry} (API base {base_url})")]
    public static partial void TokenRefreshed(this ILogger logger, string expiry, string base_url);

    [ZLoggerMessage(LogLevel.Information, "Using the Qwen access token another process saved ({reason}); it expires {expiry}")]
    public static partial void TokenAdopted(this ILogger logger, string reason, string expiry);

    [ZLoggerMessage(LogLevel.Warning, "Refreshing the Qwen access token failed, will retry in {retry_seconds} s: {reason}")]
    public static partial void RefreshFailed(this ILogger logger, double retry_seconds, string reason);

    [ZLoggerMessage(LogLevel.Error, "The Qwen login is no longer usable: {reason}. Requests get 401 until `qwenfastproxy login` is run.")]
    public static partial void LoginRejected(this ILogger logger, string reason);

    [ZLoggerMessage(LogLevel.Warning, "Credentials file problem: {reason}")]
    public static partial void CredentialsFileProblem(this ILogger logger, string reason);
}
