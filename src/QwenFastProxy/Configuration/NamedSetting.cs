namespace QwenFastProxy.Configuration;

/// <summary>A setting's value with the name an error message shows when the value is invalid.</summary>
/// <param name="Name">Where the value came from, as its giver calls it (a flag such as <c>--port</c>).</param>
/// <param name="Value">The value.</param>
public sealed record NamedSetting<T>(string Name, T Value);
