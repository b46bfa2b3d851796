using System.Globalization;
using QwenFastProxy.Auth;
using QwenFastProxy.Configuration;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Cli.Commands;

/// <summary><c>qwenfastproxy status</c>: which credentials would be used, their expiry and the API base — never a token.</summary>
internal static class StatusCommand
{
    public static async Task<int> RunAsync(ProxyOptions options, TextWriter stdout)
    {
        if (options.ApiKeyMode)
        {
            var apiBase = ApiBaseUrl.Resolve(options, null);
            var plan = QwenPlan.For(options, apiBase);
            await stdout.WriteLineAsync("Mode: API key (QWEN_API_KEY is set)").ConfigureAwait(false);
            await stdout.WriteLineAsync(plan is null
                ? "Plan: none recognised (QWEN_PLAN is unset and no plan serves the API base)"
                : $"Plan: {plan.Name}{(options.Plan is null ? " (recognised from the API base)" : "")}").ConfigureAwait(false);
            await stdout.WriteLineAsync($"API base: {apiBase}").ConfigureAwait(false);
            if (plan?.KeyWarning(options.ApiKey!) is { } warning)
            {
                await stdout.WriteLineAsync($"Warning: {warning}").ConfigureAwait(false);
            }
            return ProxyCli.Ok;
        }
        await stdout.WriteLineAsync("Mode: Qwen OAuth").ConfigureAwait(false);
        var status = CredentialsFile.TryRead(options.CredsPath, out var credentials, out var message);
        switch (status)
        {
            case CredentialsFile.ReadStatus.Missing:
                await stdout.WriteLineAsync($"Credentials: none at {options.CredsPath}; run `qwenfastproxy login`").ConfigureAwait(false);
                return ProxyCli.Failed;
            case CredentialsFile.ReadStatus.Corrupt:
                await stdout.WriteLineAsync($"Credentials: unusable: {message}").ConfigureAwait(false);
                return ProxyCli.Failed;
        }
        await stdout.WriteLineAsync($"Credentials: {options.CredsPath}").ConfigureAwait(false);
        var expiry = credentials!.ExpiryDate;
        var now = DateTimeOffset.UtcNow;
        var expiryText = expiry is null
            ? "unknown"
            : expiry <= now
                ? $"expired at {expiry.Value.ToString("u", CultureInfo.InvariantCulture)}"
                : $"{expiry.Value.ToString("u", CultureInfo.InvariantCulture)} (in {(expiry.Value - now).TotalMinutes:0} min)";
        await stdout.WriteLineAsync($"Access token expiry: {expiryText}").ConfigureAwait(false);
        await stdout.WriteLineAsync(string.IsNullOrEmpty(credentials.RefreshToken)
            ? "Refresh token: absent (the login ends when the access token expires)"
            : "Refresh token: present (the proxy refreshes the access token by itself)").ConfigureAwait(false);
        await stdout.WriteLineAsync($"OAuth server: {options.OAuthBaseUrl}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"API base: {ApiBaseUrl.Resolve(options, credentials.ResourceUrl)}").ConfigureAwait(false);
        return ProxyCli.Ok;
    }
}
