namespace QwenFastProxy.Configuration;

/// <summary>The library's version as the proxy reports it (status report, its own User-Agent).</summary>
internal static class ProxyVersion
{
    /// <summary>Major.minor.patch, e.g. <c>0.1.0</c>.</summary>
    public static readonly string Text = typeof(ProxyVersion).Assembly.GetName().Version?.ToString(3) ?? "0";
}
