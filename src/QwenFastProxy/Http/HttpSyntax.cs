namespace QwenFastProxy.Http;

/// <summary>Character classes of RFC 9110/9112, as lookups over bytes.</summary>
internal static class HttpSyntax
{
    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static readonly bool[] Token = BuildTokenTable();

    public static bool IsTokenChar(byte b) => Token[b];

    public static bool IsToken(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }
        foreach (var b in value)
        {
            if (!Token[b])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>field-value bytes: HTAB, SP, VCHAR, obs-text. Everything else (NUL, CR, LF, other CTLs, DEL) is refused.</summary>
    public static bool IsFieldValue(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b < 0x20 && b != (byte)'\t' || b == 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Request-target bytes: visible ASCII only (no spaces, controls or raw non-ASCII).</summary>
    public static bool IsTargetChars(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is <= 0x20 or >= 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): a reg-name (unreserved, pct-encoded
    /// and sub-delims characters) or an IP literal in brackets, then optionally a colon and digits. An
    /// empty value is allowed (RFC 9112 §3.2); an empty host before a port is not (RFC 9110 §4.2.1).
    /// </summary>
    public static bool IsHostValue(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return true;
        }
        ReadOnlySpan<byte> rest;
        if (value[0] == (byte)'[')
        {
            var close = value.IndexOf((byte)']');
            if (close < 2 || value[1..close].IndexOfAnyExcept(IpLiteralChars) >= 0)
            {
                return false;
            }
            rest = value[(close + 1)..];
        }
        else
        {
            var colon = value.IndexOf((byte)':');
            var host = colon < 0 ? value : value[..colon];
            if (host.IsEmpty || host.IndexOfAnyExcept(RegNameChars) >= 0 || !IsPercentEncodingValid(host))
            {
                return false;
            }
            rest = colon < 0 ? default : value[colon..];
        }
        if (rest.IsEmpty)
        {
            return true;
        }
        return rest[0] == (byte)':' && rest[1..].IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
    }

    // pct-encoded = "%" HEXDIG HEXDIG
    private static bool IsPercentEncodingValid(ReadOnlySpan<byte> value)
    {
        for (var i = value.IndexOf((byte)'%'); i >= 0; i = value.IndexOf((byte)'%'))
        {
            if (i + 2 >= value.Length || !char.IsAsciiHexDigit((char)value[i + 1]) || !char.IsAsciiHexDigit((char)value[i + 2]))
            {
                return false;
            }
            value = value[(i + 3)..];
        }
        return true;
    }

    // unreserved / pct-encoded / sub-delims (RFC 3986 §3.2.2)
    private static readonly System.Buffers.SearchValues<byte> RegNameChars = System.Buffers.SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;="u8);

    // IPv6address in brackets, loosely: hex digits, dots and colons (IPvFuture and zone identifiers are refused).
    private static readonly System.Buffers.SearchValues<byte> IpLiteralChars = System.Buffers.SearchValues.Create(
        "0123456789abcdefABCDEF:."u8);

    public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> value)
    {
        var start = 0;
        while (start < value.Length && value[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }
        var end = value.Length;
        while (end > start && value[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }
        return value[start..end];
    }

    private static bool[] BuildTokenTable()
    {
        var table = new bool[256];
        for (var c = '0'; c <= '9'; c++) table[c] = true;
        for (var c = 'a'; c <= 'z'; c++) table[c] = true;
        for (var c = 'A'; c <= 'Z'; c++) table[c] = true;
        foreach (var c in "!#$%&'*+-.^_`|~")
        {
            table[c] = true;
        }
        return table;
    }
}
