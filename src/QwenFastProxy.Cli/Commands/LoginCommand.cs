using System.Globalization;
using QwenFastProxy.Auth;
using QwenFastProxy.Cli.Login;
using QwenFastProxy.Configuration;
using QwenFastProxy.Upstream;
using QwenFastProxy.Cli.Hosting;

namespace QwenFastProxy.Cli.Commands;

/// <summary><c>qwenfastproxy login</c>: the Qwen OAuth device flow; saves the credentials to <c>QWEN_CREDS_PATH</c>.</summary>
internal static class LoginCommand
{
    public static async Task<int> RunAsync(
        ProxyOptions options, Func<string, string?> environment, ConsoleInfo console, TextWriter stdout, TextWriter stderr, CancellationToken externalStop)
    {
        using var stop = new StopSignal(externalStop);

        if (options.ApiKeyMode)
        {
            await stdout.WriteLineAsync("Note: QWEN_API_KEY is set, so the proxy uses that key and not this login until it is unset.").ConfigureAwait(false);
        }

        QwenCredentials? credentials = await TryLoginAsync(options, environment, console, stdout, stderr, stop.Token).ConfigureAwait(false);
        if (credentials is null)
        {
            return ProxyCli.Failed;
        }

        string expiry = credentials.ExpiryDate is { } end
            ? end.ToString("u", CultureInfo.InvariantCulture)
            : "an unknown time";
        await stdout.WriteLineAsync($"Logged in. Credentials saved to {options.CredsPath}.").ConfigureAwait(false);
        await stdout.WriteLineAsync($"The access token is valid until {expiry}; the proxy refreshes it by itself.").ConfigureAwait(false);
        await stdout.WriteLineAsync($"API base: {ApiBaseUrl.Resolve(options, credentials.ResourceUrl)}").ConfigureAwait(false);
        return ProxyCli.Ok;
    }

    /// <summary>
    /// Runs the device flow and saves the result (under the credentials lock). Reports failures on
    /// <paramref name="stderr"/> and returns null; never throws for login, network, file or cancellation trouble.
    /// </summary>
    public static async Task<QwenCredentials?> TryLoginAsync(
        ProxyOptions options, Func<string, string?> environment, ConsoleInfo console, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        QwenCredentials credentials;
        using (var http = UpstreamClientFactory.Create(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(15)))
        using (var display = new ConsoleLoginDisplay(stdout, console.OutputIsTerminal, url => BrowserLauncher.TryOpen(url, environment)))
        {
            var flow = new DeviceFlowLogin(
                new DeviceAuthorizationClient(http, options.OAuthBaseUrl), new OAuthTokenClient(http, options.OAuthBaseUrl));
            try
            {
                credentials = await flow.RunAsync(display, cancellationToken).ConfigureAwait(false);
            }
            catch (OAuthException ex)
            {
                await stderr.WriteLineAsync($"qwenfastproxy: login failed: {ex.Message}").ConfigureAwait(false);
                return null;
            }
            catch (OperationCanceledException)
            {
                await stderr.WriteLineAsync("qwenfastproxy: login cancelled; nothing was saved.").ConfigureAwait(false);
                return null;
            }
        }

        var store = new CredentialsStore(options.CredsPath);
        try
        {
            await using (await store.AcquireLockAsync(cancellationToken).ConfigureAwait(false))
            {
                store.Write(credentials);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeoutException or OperationCanceledException)
        {
            await stderr.WriteLineAsync($"qwenfastproxy: logged in, but the credentials could not be saved to {options.CredsPath}: {ex.Message}").ConfigureAwait(false);
            return null;
        }

        return credentials;
    }
}
