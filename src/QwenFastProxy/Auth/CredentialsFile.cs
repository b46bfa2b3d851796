using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace QwenFastProxy.Auth;

/// <summary>Reads the saved credentials file (<c>QWEN_CREDS_PATH</c>).</summary>
public static class CredentialsFile
{
    /// <summary>Outcome of <see cref="TryRead"/>.</summary>
    [SuppressMessage("Design", "CA1034:Nested types should not be visible", Justification = "Embedders read and write credentials through these nested types.")]
    public enum ReadStatus
    {
        /// <summary>The file was read and holds an access token.</summary>
        Ok,

        /// <summary>There is no file (or no folder) at the path.</summary>
        Missing,

        /// <summary>The file exists but cannot be read or does not hold usable credentials.</summary>
        Corrupt,
    }

    /// <summary>A credentials file is a few hundred bytes; anything far larger is not one, and is not read into memory.</summary>
    internal const int MaxFileBytes = 1_048_576;

    private const string WayForward = "run `qwenfastproxy login` again or delete the file";

    /// <summary>
    /// Reads <c>{"access_token","token_type","refresh_token","resource_url","expiry_date"}</c> (<c>expiry_date</c> in
    /// Unix milliseconds); unknown fields are ignored and null fields count as absent. A missing or empty
    /// <c>access_token</c>, invalid JSON or a field of the wrong type gives <see cref="ReadStatus.Corrupt"/> with a
    /// message naming the path and the way forward. Never throws for I/O problems: an unreadable file is Corrupt too.
    /// </summary>
    public static ReadStatus TryRead(string path, [NotNullWhen(true)] out QwenCredentials? credentials, out string? message)
    {
        ArgumentNullException.ThrowIfNull(path);
        credentials = null;

        byte[] bytes;
        try
        {
            if (Directory.Exists(path))
            {
                message = Corrupt(path, "it is a folder, not a file");
                return ReadStatus.Corrupt;
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > MaxFileBytes)
            {
                message = Corrupt(path, "the file is far too large to be a credentials file");
                return ReadStatus.Corrupt;
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            message = $"no saved credentials at {path}";
            return ReadStatus.Missing;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            message = $"cannot read credentials file {path} ({exception.Message}): fix its permissions, or {WayForward}";
            return ReadStatus.Corrupt;
        }

        if (!TryParse(bytes, out credentials, out string? problem))
        {
            message = Corrupt(path, problem);
            return ReadStatus.Corrupt;
        }

        message = null;
        return ReadStatus.Ok;
    }

    private static string Corrupt(string path, string problem) => $"credentials file {path} is unusable ({problem}): {WayForward}";

    /// <summary>Parses the file's bytes; on failure <paramref name="problem"/> says what is wrong, never showing a token.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out QwenCredentials? credentials, [NotNullWhen(false)] out string? problem)
    {
        credentials = null;
        ReadOnlySpan<byte> bom = [0xEF, 0xBB, 0xBF];
        if (utf8.StartsWith(bom))
        {
            utf8 = utf8[bom.Length..];
        }

        if (utf8.Trim(" \t\r\n"u8).IsEmpty)
        {
            problem = "the file is empty";
            return false;
        }

        string? accessToken = null, tokenType = null, refreshToken = null, resourceUrl = null;
        DateTimeOffset? expiry = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = "expected a JSON object";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                switch (name)
                {
                    case "access_token":
                        if (!TryString(ref reader, name, out accessToken, out problem))
                        {
                            return false;
                        }

                        break;
                    case "token_type":
                        if (!TryString(ref reader, name, out tokenType, out problem))
                        {
                            return false;
                        }

                        break;
                    case "refresh_token":
                        if (!TryString(ref reader, name, out refreshToken, out problem))
                        {
                            return false;
                        }

                        break;
                    case "resource_url":
                        if (!TryString(ref reader, name, out resourceUrl, out problem))
                        {
                            return false;
                        }

                        break;
                    case "expiry_date":
                        if (!TryExpiry(ref reader, out expiry, out problem))
                        {
                            return false;
                        }

                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            // The loop ends at the object's end; anything after it must be white space only.
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                problem = "invalid JSON";
                return false;
            }
        }
        catch (JsonException)
        {
            problem = "invalid JSON";
            return false;
        }

        if (accessToken is null)
        {
            problem = "no access_token";
            return false;
        }

        credentials = new QwenCredentials(accessToken, tokenType, refreshToken, resourceUrl, expiry);
        problem = null;
        return true;
    }

    /// <summary>A string field; null or an empty/white-space string count as absent. Other types are errors.</summary>
    private static bool TryString(ref Utf8JsonReader reader, string name, out string? value, [NotNullWhen(false)] out string? problem)
    {
        value = null;
        problem = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.String:
                string text = reader.GetString()!.Trim();
                value = text.Length == 0 ? null : text;
                return true;
            default:
                problem = $"{name} must be a string";
                return false;
        }
    }

    /// <summary><c>expiry_date</c>: Unix milliseconds as a JSON number (null counts as unknown).</summary>
    private static bool TryExpiry(ref Utf8JsonReader reader, out DateTimeOffset? expiry, [NotNullWhen(false)] out string? problem)
    {
        expiry = null;
        problem = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        const string outOfRange = "expiry_date must be a date in Unix milliseconds";
        if (reader.TokenType != JsonTokenType.Number)
        {
            problem = outOfRange;
            return false;
        }

        long milliseconds;
        if (!reader.TryGetInt64(out milliseconds))
        {
            // Some writers store fractional milliseconds; keep the whole part.
            if (!reader.TryGetDouble(out double value) || !double.IsFinite(value) || Math.Abs(value) > long.MaxValue / 2.0)
            {
                problem = outOfRange;
                return false;
            }

            milliseconds = (long)Math.Floor(value);
        }

        if (milliseconds < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            problem = outOfRange;
            return false;
        }

        expiry = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        return true;
    }
}
