using System.Text;
using System.Text.Json;

namespace QwenFastProxy.Resilience;

/// <summary>
/// Reads the first bytes of an upstream error body for the one fact classification needs — does it say the
/// quota is exhausted? — with a forward-only <see cref="Utf8JsonReader"/>: no DOM, no strings, nothing allocated.
/// Accepts the OpenAI shape (<c>{"error":{"code","message","type"}}</c>) and DashScope's native one (top-level
/// <c>code</c>/<c>message</c>); a prefix cut anywhere simply ends the scan.
/// </summary>
internal static class UpstreamErrorBody
{
    // Unescaped copies of escaped messages: quota messages are short, longer ones are searched as they are.
    private const int ScratchBytes = 256;

    private enum Member
    {
        Other,
        Error,
        Code,
        Message,
        Type,
    }

    /// <summary>True when the body names quota exhaustion rather than throttling.</summary>
    public static bool SaysQuotaExhausted(ReadOnlySpan<byte> body)
    {
        var start = body.IndexOfAnyExcept(" \t\r\n"u8);
        if (start < 0 || body[start] != (byte)'{')
        {
            return false; // not JSON (an HTML error page, say): nothing to read, and no exception to pay for
        }

        // Every quota answer says "quota" somewhere (code, type or message); a throttling answer usually does not.
        // One vectorised search settles the common case without reading the JSON at all. Bodies with \u escapes
        // are always read, as "quota" could hide in them.
        if (!ContainsIgnoreCase(body, "quota"u8) && body.IndexOf("\\u"u8) < 0)
        {
            return false;
        }

        var reader = new Utf8JsonReader(body[start..], isFinalBlock: false, state: default);
        Span<byte> scratch = stackalloc byte[ScratchBytes];
        try
        {
            return reader.Read() && ScanObject(ref reader, scratch, descend: true);
        }
        catch (JsonException)
        {
            return false; // malformed after a promising start: treat as saying nothing
        }
    }

    private static bool ScanObject(ref Utf8JsonReader reader, scoped Span<byte> scratch, bool descend)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = Name(ref reader);
            if (!reader.Read())
            {
                return false;
            }
            if (member == Member.Error && descend && reader.TokenType == JsonTokenType.StartObject)
            {
                if (ScanObject(ref reader, scratch, descend: false))
                {
                    return true;
                }
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                if (member is Member.Code or Member.Type && IsQuotaCode(ref reader))
                {
                    return true;
                }
                if (member == Member.Message && IsQuotaMessage(ref reader, scratch))
                {
                    return true;
                }
            }
            else if (!reader.TrySkip())
            {
                return false; // the prefix ends inside this value
            }
        }
        return false;
    }

    // Names are compared as raw bytes when unescaped (the norm): cheaper than one ValueTextEquals per candidate.
    private static Member Name(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            return reader.ValueTextEquals("error"u8) ? Member.Error
                : reader.ValueTextEquals("code"u8) ? Member.Code
                : reader.ValueTextEquals("message"u8) ? Member.Message
                : reader.ValueTextEquals("type"u8) ? Member.Type
                : Member.Other;
        }
        var name = reader.ValueSpan;
        return name.Length switch
        {
            4 when name.SequenceEqual("code"u8) => Member.Code,
            4 when name.SequenceEqual("type"u8) => Member.Type,
            5 when name.SequenceEqual("error"u8) => Member.Error,
            7 when name.SequenceEqual("message"u8) => Member.Message,
            _ => Member.Other,
        };
    }

    // OpenAI-compatible mode says insufficient_quota (as code and type); DashScope's native code for the
    // exhausted allocation is Throttling.AllocationQuota. Plain throttling (rate_limit_exceeded,
    // Throttling.RateQuota) is deliberately not here.
    private static bool IsQuotaCode(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            return reader.ValueTextEquals("insufficient_quota"u8) || reader.ValueTextEquals("Throttling.AllocationQuota"u8);
        }
        var value = reader.ValueSpan;
        return value.SequenceEqual("insufficient_quota"u8) || value.SequenceEqual("Throttling.AllocationQuota"u8);
    }

    // "Free allocated quota exceeded." (Qwen OAuth), "You exceeded your current quota…" (OpenAI-style). Most
    // messages (throttling) have no "quota" at all, which one cheap search settles.
    private static bool IsQuotaMessage(ref Utf8JsonReader reader, scoped Span<byte> scratch)
    {
        scoped ReadOnlySpan<byte> text = reader.ValueSpan;
        if (reader.ValueIsEscaped && text.Length <= scratch.Length)
        {
            text = scratch[..reader.CopyString(scratch)];
        }
        return ContainsIgnoreCase(text, "quota"u8)
            && (ContainsIgnoreCase(text, "quota exceeded"u8) || ContainsIgnoreCase(text, "exceeded your current quota"u8));
    }

    /// <summary>ASCII case-insensitive search for a lower-case <paramref name="needle"/>.</summary>
    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> needle)
    {
        var first = needle[0];
        var firstUpper = (byte)(first - 'a' + 'A');
        var at = 0;
        while (text.Length - at >= needle.Length)
        {
            var hit = text[at..].IndexOfAny(first, firstUpper);
            if (hit < 0 || text.Length - (at + hit) < needle.Length)
            {
                return false;
            }
            at += hit;
            if (Ascii.EqualsIgnoreCase(text.Slice(at, needle.Length), needle))
            {
                return true;
            }
            at++;
        }
        return false;
    }
}
