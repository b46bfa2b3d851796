namespace QwenFastProxy.Cli.Arguments;

/// <summary>What the executable was asked to do.</summary>
public enum ProxyCommand
{
    /// <summary>Serve (log in first when no usable credentials exist). No command word.</summary>
    Serve,

    /// <summary><c>login</c>: device-flow login only, then save the credentials.</summary>
    Login,

    /// <summary><c>logout</c>: remove the saved credentials.</summary>
    Logout,

    /// <summary><c>status</c>: show the credentials' state and the API base, never a token.</summary>
    Status,

    /// <summary><c>-h</c> / <c>--help</c>: print <see cref="CommandLine.HelpText"/>.</summary>
    Help,

    /// <summary><c>--version</c>: print the version.</summary>
    Version,
}
