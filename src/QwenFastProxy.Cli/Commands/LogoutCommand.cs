using QwenFastProxy.Configuration;

namespace QwenFastProxy.Cli.Commands;

/// <summary><c>qwenfastproxy logout</c>: removes the saved credentials file.</summary>
internal static class LogoutCommand
{
    public static async Task<int> RunAsync(ProxyOptions options, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(options.CredsPath))
        {
            await stdout.WriteLineAsync($"No saved credentials at {options.CredsPath}.").ConfigureAwait(false);
            return ProxyCli.Ok;
        }
        try
        {
            File.Delete(options.CredsPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"qwenfastproxy: could not remove {options.CredsPath}: {ex.Message}").ConfigureAwait(false);
            return ProxyCli.Failed;
        }
        await stdout.WriteLineAsync($"Removed saved credentials at {options.CredsPath}.").ConfigureAwait(false);
        return ProxyCli.Ok;
    }
}
