using System.Globalization;
using System.Text;

namespace QwenFastProxy.Configuration;

/// <summary>Parsing of single setting values and the wording of their error messages.</summary>
internal static class ValueText
{
    /// <summary>Longest part of a bad value echoed in an error message.</summary>
    private const int MaxEchoedChars = 120;

    /// <summary><c>invalid NAME="value": expected ...</c>, with control characters escaped and long values cut.</summary>
    public static string Invalid(string name, string raw, string expected) =>
        $"invalid {name}=\"{Echo(raw)}\": {expected}";

    /// <summary>For secrets: names the setting but never shows the value.</summary>
    public static string InvalidSecret(string name, string expected) =>
        $"invalid {name} (value not shown): {expected}";

    /// <summary>The accepted range of an integer setting.</summary>
    public static string ExpectedInteger(long min, long max) =>
        max is int.MaxValue or long.MaxValue
            ? string.Create(CultureInfo.InvariantCulture, $"expected an integer of at least {min}")
            : string.Create(CultureInfo.InvariantCulture, $"expected an integer from {min} to {max}");

    /// <summary>The accepted range of a setting in whole seconds.</summary>
    public static string ExpectedSeconds(int min, int max) =>
        string.Create(CultureInfo.InvariantCulture, $"expected a whole number of seconds from {min} to {max}");

    /// <summary>A decimal integer (optional sign, no separators) within <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static bool TryParseInteger(string raw, long min, long max, out long value) =>
        long.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
        && value >= min && value <= max;

    /// <summary>true/false, 1/0, yes/no, on/off in any case.</summary>
    public static bool TryParseBoolean(string raw, out bool value)
    {
        switch (raw.Trim().ToUpperInvariant())
        {
            case "TRUE" or "1" or "YES" or "ON":
                value = true;
                return true;
            case "FALSE" or "0" or "NO" or "OFF":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>on/off (also true/false) in any case.</summary>
    public static bool TryParseOnOff(string raw, out bool value)
    {
        switch (raw.Trim().ToUpperInvariant())
        {
            case "ON" or "TRUE":
                value = true;
                return true;
            case "OFF" or "FALSE":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>True when every character is printable ASCII other than space: what an HTTP header token may carry.</summary>
    public static bool IsHeaderToken(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static string Echo(string raw)
    {
        var builder = new StringBuilder(Math.Min(raw.Length, MaxEchoedChars) + 8);
        foreach (char c in raw.Length > MaxEchoedChars ? raw.AsSpan(0, MaxEchoedChars) : raw.AsSpan())
        {
            if (char.IsControl(c) || c == '"' || c == '\\')
            {
                builder.Append(c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\n' => "\\n",
                    '\r' => "\\r",
                    '\t' => "\\t",
                    _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                });
            }
            else
            {
                builder.Append(c);
            }
        }

        if (raw.Length > MaxEchoedChars)
        {
            builder.Append("...");
        }

        return builder.ToString();
    }
}
