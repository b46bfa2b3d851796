namespace QwenFastProxy.Http;

/// <summary>Character classes of RFC 9110/9112, as lookups over bytes.</summary>
internal static class HttpSyntax
{
    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static readonly bool[] Token = BuildTokenTable();

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
