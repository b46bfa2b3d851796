using QwenFastProxy.Auth;
using QwenFastProxy.Configuration;

namespace QwenFastProxy.Cli.Commands;

/// <summary>
/// <c>qwenfastproxy logout</c>: removes the saved credentials file, under the credentials lock so that a running
/// proxy's refresh is never torn. A running proxy then answers 401 until the next login.
/// </summary>
internal static class LogoutCommand
{
    public static async Task<int> RunAsync(ProxyOptions options, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(options.CredsPath))
        {
            await stdout.WriteLineAsync($"No saved credentials at {options.CredsPath}.").ConfigureAwait(false);
            return ProxyCli.Ok;
        }

        var store = new CredentialsStore(options.CredsPath);
        try
        {
            await using (await store.AcquireLockAsync().ConfigureAwait(false))
            {
                store.Delete();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeoutException)
        {
            await stderr.WriteLineAsync($"qwenfastproxy: could not remove {options.CredsPath}: {ex.Message}").ConfigureAwait(false);
            return ProxyCli.Failed;
        }

        await stdout.WriteLineAsync($"Removed saved credentials at {options.CredsPath}.").ConfigureAwait(false);
        return ProxyCli.Ok;
    }
}
