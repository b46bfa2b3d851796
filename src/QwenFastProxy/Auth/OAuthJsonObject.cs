using System.Globalization;
using System.Text.Json;

namespace QwenFastProxy.Auth;

/// <summary>
/// The top-level string and number fields of an OAuth server's JSON answer, read with <see cref="Utf8JsonReader"/>
/// (no reflection). Nested values are skipped; a number sent as a string is accepted as a number too.
/// </summary>
internal sealed class OAuthJsonObject
{
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _numbers = new(StringComparer.Ordinal);

    private OAuthJsonObject()
    {
    }

    /// <summary>Parses <paramref name="utf8"/>; null when it is not a JSON object.</summary>
    public static OAuthJsonObject? TryParse(ReadOnlySpan<byte> utf8)
    {
        var result = new OAuthJsonObject();
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        result._strings[name] = reader.GetString()!;
                        break;
                    case JsonTokenType.Number:
                        result._numbers[name] = reader.GetDouble();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            return reader.TokenType == JsonTokenType.EndObject ? result : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A non-empty string field (trimmed), or null.</summary>
    public string? String(string name) =>
        _strings.TryGetValue(name, out string? value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>A finite number field (or a string holding one), or null.</summary>
    public double? Number(string name)
    {
        if (_numbers.TryGetValue(name, out double number))
        {
            return double.IsFinite(number) ? number : null;
        }

        return _strings.TryGetValue(name, out string? text)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number)
            && double.IsFinite(number)
            ? number
            : null;
    }

    /// <summary>A positive number of seconds as a <see cref="TimeSpan"/>, or null.</summary>
    public TimeSpan? Seconds(string name) =>
        Number(name) is { } seconds && seconds > 0 && seconds < TimeSpan.MaxValue.TotalSeconds / 2
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
