using System.Buffers.Text;

namespace QwenFastProxy.Http;

/// <summary>
/// The "Date: …\r\n" header line, formatted once a second by a timer instead of once per response
/// (the TechEmpower platform benchmark does the same).
/// </summary>
internal static class DateHeader
{
    private const int LineLength = 6 + 29 + 2; // "Date: " + RFC 1123 date + CRLF
    private static byte[] s_line = Format(DateTimeOffset.UtcNow);
    private static readonly Timer s_timer = new(static _ => s_line = Format(DateTimeOffset.UtcNow), null, 1000, 1000);

    /// <summary>The current header line, CRLF included.</summary>
    public static ReadOnlySpan<byte> Line => Volatile.Read(ref s_line);

    private static byte[] Format(DateTimeOffset now)
    {
        var line = new byte[LineLength];
        "Date: "u8.CopyTo(line);
        Utf8Formatter.TryFormat(now, line.AsSpan(6), out _, 'R');
        line[^2] = (byte)'\r';
        line[^1] = (byte)'\n';
        return line;
    }
}
