using System.Diagnostics.CodeAnalysis;
using QwenFastProxy.Configuration;

namespace QwenFastProxy.Cli.Arguments;

/// <summary>The parsed command line: one optional command word and flags.</summary>
/// <param name="Command">What to do; <see cref="ProxyCommand.Help"/> and <see cref="ProxyCommand.Version"/> win over a command word.</param>
/// <param name="Demo"><c>--demo</c>: serve against the built-in simulated upstream.</param>
/// <param name="Debug"><c>-debug</c> / <c>--debug</c>: debug logging.</param>
/// <param name="Port"><c>--port N</c>, validated 0..65535, or null.</param>
/// <param name="Host"><c>--host ADDR</c>, validated and normalised, or null.</param>
public sealed record CommandLine(ProxyCommand Command, bool Demo, bool Debug, int? Port, string? Host)
{
    internal const string PortFlag = "--port";
    internal const string HostFlag = "--host";

    private const string ExpectedCommands = "expected login, logout or status (or no command, to serve)";
    private const string ExpectedFlags = "expected --demo, --debug, --port N, --host ADDR, --help or --version";

    /// <summary>Usage text: commands, flags, and every environment variable with its default, one line each.</summary>
    public static string HelpText => field ??= CommandLineHelp.Build();

    /// <summary>The flags as <see cref="OptionsLoader"/> input: a port or host the loader refuses is named as its flag.</summary>
    public OptionOverrides ToOverrides() =>
        new(Demo, Debug, Port is int port ? new(PortFlag, port) : null, Host is null ? null : new(HostFlag, Host));

    /// <summary>
    /// Parses <paramref name="args"/>. Flags may be written with one or two dashes (as Go's flag package allows),
    /// values as <c>--port N</c> or <c>--port=N</c>; a repeated flag's last value wins. The command word
    /// (<c>login</c>, <c>logout</c>, <c>status</c>; also <c>serve</c>, <c>help</c>, <c>version</c>) may stand anywhere.
    /// Unknown flags or words, a missing or invalid value, or a second command word give false and an error
    /// naming the argument and what is accepted.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<string> args, [NotNullWhen(true)] out CommandLine? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        ProxyCommand? word = null;
        bool demo = false, debug = false, help = false, version = false;
        int? port = null;
        string? host = null;

        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i] ?? string.Empty;
            if (arg.Length < 2 || arg[0] != '-')
            {
                if (!TryParseWord(arg, out ProxyCommand command))
                {
                    error = $"unknown command \"{arg}\": {ExpectedCommands}";
                    return false;
                }

                if (word is not null)
                {
                    error = $"unexpected argument \"{arg}\": only one command may be given; {ExpectedCommands}";
                    return false;
                }

                word = command;
                continue;
            }

            string body = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
            int equals = body.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? body : body[..equals];
            string? inlineValue = equals < 0 ? null : body[(equals + 1)..];
            string shown = equals < 0 ? arg : arg[..(arg.Length - body.Length + equals)];

            switch (name)
            {
                case "demo" or "debug" or "help" or "h" or "version":
                    if (inlineValue is not null)
                    {
                        error = $"flag {shown} takes no value (got \"{arg}\")";
                        return false;
                    }

                    demo |= name == "demo";
                    debug |= name == "debug";
                    help |= name is "help" or "h";
                    version |= name == "version";
                    break;

                case "port" or "host":
                    string? value = inlineValue;
                    if (value is null && i + 1 < args.Length && !LooksLikeFlag(args[i + 1]))
                    {
                        value = args[++i];
                    }

                    if (!TryParseValue(name, shown, value, ref port, ref host, out error))
                    {
                        return false;
                    }

                    break;

                default:
                    error = $"unknown flag \"{shown}\": {ExpectedFlags}";
                    return false;
            }
        }

        ProxyCommand final = help ? ProxyCommand.Help : version ? ProxyCommand.Version : word ?? ProxyCommand.Serve;
        result = new CommandLine(final, demo, debug, port, host);
        error = null;
        return true;
    }

    private static bool TryParseValue(string name, string shown, string? value, ref int? port, ref string? host, [NotNullWhen(false)] out string? error)
    {
        bool isPort = name == "port";
        string expected = isPort ? ValueText.ExpectedInteger(OptionLimits.MinPort, OptionLimits.MaxPort) : HostAddress.Expected;
        if (value is null)
        {
            error = $"missing value for {shown}: {expected}";
            return false;
        }

        if (isPort)
        {
            if (!ValueText.TryParseInteger(value, OptionLimits.MinPort, OptionLimits.MaxPort, out long parsed))
            {
                error = ValueText.Invalid(shown, value, expected);
                return false;
            }

            port = (int)parsed;
        }
        else
        {
            if (!HostAddress.TryNormalize(value, out string? normalized))
            {
                error = ValueText.Invalid(shown, value, expected);
                return false;
            }

            host = normalized;
        }

        error = null;
        return true;
    }

    private static bool TryParseWord(string arg, out ProxyCommand command)
    {
        (bool ok, command) = arg switch
        {
            "login" => (true, ProxyCommand.Login),
            "logout" => (true, ProxyCommand.Logout),
            "status" => (true, ProxyCommand.Status),
            "serve" => (true, ProxyCommand.Serve),
            "help" => (true, ProxyCommand.Help),
            "version" => (true, ProxyCommand.Version),
            _ => (false, ProxyCommand.Serve),
        };
        return ok;
    }

    // A value never starts with a dash: ports are not negative and addresses do not begin with one.
    private static bool LooksLikeFlag(string? arg) => arg is { Length: > 0 } && arg[0] == '-';
}
