using System.Text;
using QwenFastProxy.Configuration;

namespace QwenFastProxy.Cli.Arguments;

/// <summary>Builds <see cref="CommandLine.HelpText"/>; defaults come from <see cref="ProxyOptions"/> itself so they cannot drift.</summary>
internal static class CommandLineHelp
{
    public static string Build()
    {
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> pair in new ProxyOptions().Describe())
        {
            defaults[pair.Key] = pair.Value;
        }

        // The machine-specific expansion would mislead in help text.
        defaults[EnvironmentVariables.CredsPath] = HomePath.DefaultCredsRelative;

        var text = new StringBuilder();
        text.AppendLine("Usage: qwenfastproxy [command] [flags]")
            .AppendLine()
            .AppendLine("An OpenAI-compatible proxy for Qwen. Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.")
            .AppendLine()
            .AppendLine("Commands:")
            .AppendLine("  (none)     serve; in a terminal, logs in first when there is no usable login and QWEN_API_KEY is unset")
            .AppendLine("  login      Qwen OAuth device login (link, code, QR code); saves the credentials to QWEN_CREDS_PATH")
            .AppendLine("  logout     remove the saved credentials")
            .AppendLine("  status     show whether credentials exist, their expiry and the API base (never a token)")
            .AppendLine()
            .AppendLine("Flags:")
            .AppendLine("  --demo            serve against the built-in simulated Qwen upstream (no account, no network)")
            .AppendLine("  -debug, --debug   debug logging (same as DEBUG=true)")
            .AppendLine("  --port N          listen port, 0..65535 (overrides PORT)")
            .AppendLine("  --host ADDR       listen address: an IP address or localhost (overrides HOST)")
            .AppendLine("  -h, --help        show this help")
            .AppendLine("  --version         show the version")
            .AppendLine()
            .AppendLine("Environment (flags win; empty means unset):");

        int nameWidth = EnvironmentVariables.Meanings.Max(pair => pair.Key.Length) + 2;
        int defaultWidth = EnvironmentVariables.Meanings.Max(pair => defaults[pair.Key].Length) + 2;
        foreach (KeyValuePair<string, string> pair in EnvironmentVariables.Meanings)
        {
            text.Append("  ")
                .Append(pair.Key.PadRight(nameWidth))
                .Append(defaults[pair.Key].PadRight(defaultWidth))
                .AppendLine(pair.Value);
        }

        return text.ToString();
    }
}
