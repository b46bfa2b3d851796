using System.Buffers;

namespace QwenFastProxy.Http;

/// <summary>
/// Reads one CRLF-terminated line for the head and chunked-body parsers. Strict by design: a bare LF
/// is rejected (Kestrel accepts it unless told not to; a proxy that accepts what its upstream might
/// read differently invites request smuggling), and a line longer than its budget fails at once
/// instead of waiting for the rest.
/// </summary>
internal static class LineReader
{
    public static readonly HttpError BareLineFeed = new(400, "Malformed request: line terminated by a bare LF; lines must end with CRLF.");

    /// <param name="reader">Positioned at the start of the line; advanced past it on success.</param>
    /// <param name="maxLength">Longest line accepted, CRLF included.</param>
    /// <param name="scratch">Where a line split across segments is copied; allocated or grown on demand,
    /// because most connections never see such a line and should not carry the buffer.</param>
    /// <param name="tooLong">The error when the line exceeds <paramref name="maxLength"/>.</param>
    /// <param name="line">The line without its CRLF; valid until the pipe is advanced past it.</param>
    /// <param name="consumed">Bytes taken, CRLF included.</param>
    /// <param name="error">Set when <see cref="ParseStatus.Error"/> is returned.</param>
    public static ParseStatus TryRead(
        ref SequenceReader<byte> reader,
        int maxLength,
        ref byte[]? scratch,
        in HttpError tooLong,
        out ReadOnlySpan<byte> line,
        out int consumed,
        out HttpError error)
    {
        line = default;
        consumed = 0;
        error = default;
        ReadOnlySpan<byte> withCr;

        var unread = reader.UnreadSpan;
        var lf = unread.IndexOf((byte)'\n');
        if (lf >= 0)
        {
            if (lf + 1 > maxLength)
            {
                error = tooLong;
                return ParseStatus.Error;
            }
            withCr = unread[..lf];
            reader.Advance(lf + 1);
        }
        else
        {
            if (unread.Length >= maxLength)
            {
                error = tooLong;
                return ParseStatus.Error;
            }
            if (!reader.TryReadTo(out ReadOnlySequence<byte> span, (byte)'\n', advancePastDelimiter: true))
            {
                if (reader.Remaining >= maxLength)
                {
                    error = tooLong;
                    return ParseStatus.Error;
                }
                return ParseStatus.Incomplete;
            }
            if (span.Length + 1 > maxLength)
            {
                error = tooLong;
                return ParseStatus.Error;
            }
            if (scratch is null || scratch.Length < span.Length)
            {
                scratch = new byte[Math.Max((int)span.Length, 256)];
            }
            span.CopyTo(scratch);
            withCr = scratch.AsSpan(0, (int)span.Length);
        }

        if (withCr.IsEmpty || withCr[^1] != (byte)'\r')
        {
            error = BareLineFeed;
            return ParseStatus.Error;
        }
        line = withCr[..^1];
        consumed = withCr.Length + 1;
        return ParseStatus.Complete;
    }
}
