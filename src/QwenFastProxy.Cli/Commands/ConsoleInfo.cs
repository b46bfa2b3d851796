namespace QwenFastProxy.Cli.Commands;

/// <summary>
/// Whether a person is at the console. <c>qwenfastproxy</c> (serve) starts the device login by itself only when
/// standard input or output is a terminal; with neither (CI, systemd, a script with no stdin) it fails fast with the
/// way forward instead of waiting minutes for an approval nobody will see. <c>qwenfastproxy login</c> always runs.
/// </summary>
/// <param name="InputIsTerminal">Standard input is a terminal.</param>
/// <param name="OutputIsTerminal">Standard output is a terminal: colour QR code and a live countdown.</param>
public sealed record ConsoleInfo(bool InputIsTerminal, bool OutputIsTerminal)
{
    /// <summary>Neither stream is a terminal (the default for embedded and test runs).</summary>
    public static ConsoleInfo None { get; } = new(false, false);

    /// <summary>True when a person can answer the login.</summary>
    public bool Interactive => InputIsTerminal || OutputIsTerminal;

    /// <summary>The process's real console.</summary>
    public static ConsoleInfo FromConsole() => new(!Console.IsInputRedirected, !Console.IsOutputRedirected);
}
