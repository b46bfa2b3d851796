namespace QwenFastProxy.Configuration;

/// <summary>
/// Reads typed values from the environment and collects an error for every value that does not parse or
/// is out of range. A variable that is unset, empty or only white space gives the default.
/// </summary>
internal sealed class SettingReader(Func<string, string?> getEnvironmentVariable)
{
    private readonly List<string> _errors = [];

    /// <summary>One message per bad value, in reading order.</summary>
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>Records an error found outside the typed readers.</summary>
    public void Fail(string message) => _errors.Add(message);

    /// <summary>The trimmed value, or null when unset, empty or only white space.</summary>
    public string? Text(string name)
    {
        string? value = getEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>The value exactly as set, or null when unset or empty.</summary>
    public string? Raw(string name)
    {
        string? value = getEnvironmentVariable(name);
        return string.IsNullOrEmpty(value) ? null : value;
    }

    public int Integer(string name, int fallback, int min, int max = int.MaxValue) =>
        (int)Long(name, fallback, min, max);

    public long Long(string name, long fallback, long min, long max = long.MaxValue)
    {
        string? raw = Text(name);
        if (raw is null)
        {
            return fallback;
        }

        if (ValueText.TryParseInteger(raw, min, max, out long value))
        {
            return value;
        }

        Fail(ValueText.Invalid(name, raw, ValueText.ExpectedInteger(min, max)));
        return fallback;
    }

    public TimeSpan Seconds(string name, TimeSpan fallback, int min = OptionLimits.MinTimeoutSeconds, int max = OptionLimits.MaxTimeoutSeconds)
    {
        string? raw = Text(name);
        if (raw is null)
        {
            return fallback;
        }

        if (ValueText.TryParseInteger(raw, min, max, out long seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        Fail(ValueText.Invalid(name, raw, ValueText.ExpectedSeconds(min, max)));
        return fallback;
    }

    public bool Boolean(string name, bool fallback)
    {
        string? raw = Text(name);
        if (raw is null)
        {
            return fallback;
        }

        if (ValueText.TryParseBoolean(raw, out bool value))
        {
            return value;
        }

        Fail(ValueText.Invalid(name, raw, "expected true or false (also 1/0, yes/no, on/off)"));
        return fallback;
    }

    public bool OnOff(string name, bool fallback)
    {
        string? raw = Text(name);
        if (raw is null)
        {
            return fallback;
        }

        if (ValueText.TryParseOnOff(raw, out bool value))
        {
            return value;
        }

        Fail(ValueText.Invalid(name, raw, "expected on or off (also true/false)"));
        return fallback;
    }
}
