using System.Reflection;
using QwenFastProxy.Cli.Arguments;
using QwenFastProxy.Cli.Commands;
using QwenFastProxy.Configuration;

namespace QwenFastProxy.Cli;

/// <summary>The command line: parse, validate, dispatch. Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.</summary>
public static class ProxyCli
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code for a runtime failure.</summary>
    public const int Failed = 1;

    /// <summary>Exit code for bad usage or configuration.</summary>
    public const int BadUsage = 2;

    /// <summary>The version printed by <c>--version</c>.</summary>
    public static string Version =>
        typeof(ProxyCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Runs the command line <paramref name="args"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, Func<string, string?> environment, TextWriter stdout, TextWriter stderr, CancellationToken stop = default) =>
        RunAsync(args, environment, stdout, stderr, ConsoleInfo.None, stop);

    /// <summary>Runs the command line <paramref name="args"/>; returns the exit code.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="environment">Reads environment variables.</param>
    /// <param name="stdout">Standard output.</param>
    /// <param name="stderr">Standard error.</param>
    /// <param name="console">Whether a person is at the console (serve logs in by itself only then; live countdown).</param>
    /// <param name="stop">Stops serving (or a login) as SIGINT/SIGTERM do.</param>
    public static async Task<int> RunAsync(
        string[] args, Func<string, string?> environment, TextWriter stdout, TextWriter stderr, ConsoleInfo console, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (!CommandLine.TryParse(args, out var commandLine, out var usageError))
        {
            await stderr.WriteLineAsync($"qwenfastproxy: {usageError}\nRun `qwenfastproxy --help` for usage.").ConfigureAwait(false);
            return BadUsage;
        }
        switch (commandLine.Command)
        {
            case ProxyCommand.Help:
                await stdout.WriteAsync(CommandLine.HelpText).ConfigureAwait(false);
                return Ok;
            case ProxyCommand.Version:
                await stdout.WriteLineAsync($"qwenfastproxy {Version}").ConfigureAwait(false);
                return Ok;
        }

        if (!OptionsLoader.TryLoad(environment, commandLine.ToOverrides(), out var options, out var configError))
        {
            await stderr.WriteLineAsync($"qwenfastproxy: {configError}").ConfigureAwait(false);
            return BadUsage;
        }

        return commandLine.Command switch
        {
            ProxyCommand.Status => await StatusCommand.RunAsync(options!, stdout).ConfigureAwait(false),
            ProxyCommand.Logout => await LogoutCommand.RunAsync(options!, stdout, stderr).ConfigureAwait(false),
            ProxyCommand.Login => await LoginCommand.RunAsync(options!, environment, console, stdout, stderr, stop).ConfigureAwait(false),
            _ => await ServeCommand.RunAsync(options!, environment, console, stdout, stderr, stop).ConfigureAwait(false),
        };
    }
}
