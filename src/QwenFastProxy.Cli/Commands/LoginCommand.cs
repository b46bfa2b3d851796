namespace QwenFastProxy.Cli.Commands;

/// <summary><c>qwenfastproxy login</c>: the OAuth device flow arrives with the authentication work.</summary>
internal static class LoginCommand
{
    public static async Task<int> RunAsync(TextWriter stderr)
    {
        await stderr.WriteLineAsync(
            "qwenfastproxy: the OAuth device login is not built yet. Meanwhile, set QWEN_API_KEY to a DashScope or Coding Plan key, "
            + "or place credentials written by Qwen Code at QWEN_CREDS_PATH.").ConfigureAwait(false);
        return ProxyCli.Failed;
    }
}
