namespace QwenFastProxy.Configuration;

/// <summary>The user's home folder and <c>~</c> expansion.</summary>
internal static class HomePath
{
    /// <summary>The credentials file of the Go proxy this one replaces (kept so its users keep their login), relative to the home folder.</summary>
    public const string DefaultCredsRelative = "~/.qwen/qwenproxy_creds.json";

    /// <summary>The proxy's own state folder when STATE_DIR is not set.</summary>
    public const string DefaultStateDirRelative = "~/.qwenfastproxy";

    /// <summary><paramref name="home"/> (the <c>HOME</c> variable) if set, else the OS's profile folder.</summary>
    public static string Resolve(string? home) =>
        string.IsNullOrWhiteSpace(home) ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : home;

    /// <summary>The default credentials path under <paramref name="home"/>.</summary>
    public static string DefaultCredsPath(string? home) => Expand(DefaultCredsRelative, home);

    /// <summary>Replaces a leading <c>~</c> (alone or followed by a slash) with the home folder.</summary>
    public static string Expand(string path, string? home)
    {
        if (path == "~")
        {
            return Resolve(home);
        }

        if (path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
        {
            return Path.Combine(Resolve(home), path[2..]);
        }

        return path;
    }
}
