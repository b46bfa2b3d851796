namespace QwenFastProxy.Configuration;

/// <summary>
/// Settings given to <see cref="OptionsLoader"/> besides the environment (an executable's flags, for example); each
/// one that is set wins over its environment variable, which is then not read.
/// </summary>
/// <param name="Demo">Serve against the built-in simulated upstream.</param>
/// <param name="Debug">Debug logging; false leaves <c>DEBUG</c> in charge.</param>
/// <param name="Port">Listen port, or null to read <c>PORT</c>.</param>
/// <param name="Host">Listen address, or null to read <c>HOST</c>.</param>
public sealed record OptionOverrides(bool Demo, bool Debug, NamedSetting<int>? Port, NamedSetting<string>? Host)
{
    /// <summary>Nothing overridden: the environment and the defaults decide.</summary>
    public static OptionOverrides None { get; } = new(false, false, null, null);
}
