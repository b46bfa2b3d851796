using System.Buffers;

namespace QwenFastProxy.Http;

/// <summary>
/// Incremental decoder of a chunked request body (RFC 9112 §7.1): sizes in hex, extensions allowed and
/// ignored, trailers read and dropped. The decoded bytes are appended to the request body; the size is
/// checked against the body limit before any data is taken, so a huge declared chunk costs nothing.
/// </summary>
internal sealed class ChunkedBodyReader
{
    // Longest chunk-size line accepted (size + extensions). Kestrel has no separate limit here; a line
    // this long is already abuse.
    private const int MaxSizeLineBytes = 4096;

    private static readonly HttpError SizeLineTooLong = new(400, "Chunk size line too long.");
    private static readonly HttpError BadChunkSize = new(400, "Malformed chunk size.");
    private static readonly HttpError BadChunkEnd = new(400, "Chunk data not followed by CRLF.");
    private static readonly HttpError TrailersTooLarge = new(431, "Request trailer fields too large.");
    private static readonly HttpError BadTrailer = new(400, "Malformed trailer field.");

    private readonly int _maxTrailerBytes;
    private readonly long _maxBodyBytes;
    private byte[]? _scratch;
    private Phase _phase;
    private long _remaining;
    private int _trailerBytes;

    public ChunkedBodyReader(int maxTrailerBytes, long maxBodyBytes)
    {
        _maxTrailerBytes = maxTrailerBytes;
        _maxBodyBytes = maxBodyBytes;
    }

    private enum Phase : byte { Size, Data, DataEnd, Trailer, Done }

    public HttpError Error { get; private set; }

    public void Reset()
    {
        _phase = Phase.Size;
        _remaining = 0;
        _trailerBytes = 0;
        Error = default;
    }

    /// <summary>Decodes as much as <paramref name="reader"/> holds into <paramref name="body"/>.</summary>
    public ParseStatus Read(ref SequenceReader<byte> reader, RequestBody body)
    {
        while (true)
        {
            switch (_phase)
            {
                case Phase.Size:
                {
                    var status = LineReader.TryRead(ref reader, MaxSizeLineBytes, ref _scratch, SizeLineTooLong, out var line, out _, out var error);
                    if (status != ParseStatus.Complete)
                    {
                        return Fail(status, error);
                    }
                    if (!TryParseSize(line, out var size))
                    {
                        return Fail(ParseStatus.Error, BadChunkSize);
                    }
                    if (size > _maxBodyBytes - body.Length)
                    {
                        return Fail(ParseStatus.Error, Http1Parser.BodyTooLarge);
                    }
                    _remaining = size;
                    _phase = size == 0 ? Phase.Trailer : Phase.Data;
                    break;
                }
                case Phase.Data:
                {
                    var take = Math.Min(_remaining, reader.Remaining);
                    if (take == 0)
                    {
                        return ParseStatus.Incomplete;
                    }
                    body.Append(reader.UnreadSequence.Slice(0, take));
                    reader.Advance(take);
                    _remaining -= take;
                    if (_remaining > 0)
                    {
                        return ParseStatus.Incomplete;
                    }
                    _phase = Phase.DataEnd;
                    break;
                }
                case Phase.DataEnd:
                {
                    if (reader.Remaining < 2)
                    {
                        // A lone wrong byte is already enough to know the framing is broken.
                        if (reader.Remaining == 1 && reader.UnreadSpan[0] != (byte)'\r')
                        {
                            return Fail(ParseStatus.Error, BadChunkEnd);
                        }
                        return ParseStatus.Incomplete;
                    }
                    if (!reader.IsNext("\r\n"u8, advancePast: true))
                    {
                        return Fail(ParseStatus.Error, BadChunkEnd);
                    }
                    _phase = Phase.Size;
                    break;
                }
                case Phase.Trailer:
                {
                    var budget = _maxTrailerBytes - _trailerBytes;
                    var status = LineReader.TryRead(ref reader, budget, ref _scratch, TrailersTooLarge, out var line, out var consumed, out var error);
                    if (status != ParseStatus.Complete)
                    {
                        return Fail(status, error);
                    }
                    _trailerBytes += consumed;
                    if (line.IsEmpty)
                    {
                        _phase = Phase.Done;
                        return ParseStatus.Complete;
                    }
                    var colon = line.IndexOf((byte)':');
                    if (line[0] is (byte)' ' or (byte)'\t' || colon <= 0 || !HttpSyntax.IsToken(line[..colon])
                        || !HttpSyntax.IsFieldValue(line[(colon + 1)..]))
                    {
                        return Fail(ParseStatus.Error, BadTrailer);
                    }
                    break; // trailers are not forwarded: the upstream request is re-framed with Content-Length
                }
                default:
                    return ParseStatus.Complete;
            }
        }
    }

    private ParseStatus Fail(ParseStatus status, in HttpError error)
    {
        if (status == ParseStatus.Error)
        {
            Error = error;
        }
        return status;
    }

    // chunk-size = 1*HEXDIG, then only chunk-ext (RFC 9112 §7.1.1). Leading zeros are valid; a value that
    // would not fit in a long is an overflow attempt.
    private static bool TryParseSize(ReadOnlySpan<byte> line, out long size)
    {
        size = 0;
        var i = 0;
        while (i < line.Length && IsHex(line[i]))
        {
            if (size > long.MaxValue >> 4)
            {
                return false;
            }
            size = size * 16 + HexValue(line[i]);
            i++;
        }
        if (i == 0)
        {
            return false;
        }
        return IsChunkExtensions(line[i..]);
    }

    // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), chunk-ext-name = token,
    // chunk-ext-val = token / quoted-string (RFC 9112 §7.1.1). Extensions are ignored, but only once they
    // parse: anything else after the size is a framing this proxy and the next hop may read differently.
    // BWS is only ever followed by ";" or "=": whitespace right before the CRLF ("5 ", "0\t", "5;a ") is
    // outside the grammar, and implementations split on it (trim, refuse, or read the size as ending
    // there), which is the disagreement request smuggling feeds on.
    private static bool IsChunkExtensions(ReadOnlySpan<byte> s)
    {
        var i = 0;
        while (i < s.Length) // every pass consumes at least ";" and one name byte, or fails
        {
            i = SkipWhitespace(s, i);
            if (i == s.Length || s[i] != (byte)';')
            {
                return false;
            }
            i = SkipWhitespace(s, i + 1);
            var nameEnd = SkipToken(s, i);
            if (nameEnd == i)
            {
                return false;
            }
            i = nameEnd;
            var equals = SkipWhitespace(s, i);
            if (equals == s.Length || s[equals] != (byte)'=')
            {
                continue; // no value: whitespace after the name is BWS only if another ";" follows
            }
            i = SkipWhitespace(s, equals + 1);
            if (i < s.Length && s[i] == (byte)'"')
            {
                i = QuotedStringEnd(s, i);
                if (i < 0)
                {
                    return false;
                }
            }
            else
            {
                var valueEnd = SkipToken(s, i);
                if (valueEnd == i)
                {
                    return false;
                }
                i = valueEnd;
            }
        }
        return true;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }
        return i;
    }

    private static int SkipToken(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && HttpSyntax.IsTokenChar(s[i]))
        {
            i++;
        }
        return i;
    }

    // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4); returns the index after the
    // closing quote, or -1.
    private static int QuotedStringEnd(ReadOnlySpan<byte> s, int i)
    {
        for (i++; i < s.Length; i++)
        {
            var b = s[i];
            if (b == (byte)'"')
            {
                return i + 1;
            }
            if (b == (byte)'\\')
            {
                i++;
                if (i == s.Length || !IsQuotedChar(s[i]) && s[i] != (byte)'"' && s[i] != (byte)'\\')
                {
                    return -1;
                }
                continue;
            }
            if (!IsQuotedChar(b))
            {
                return -1;
            }
        }
        return -1;
    }

    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
    private static bool IsQuotedChar(byte b) => b is (byte)'\t' or (byte)' ' or 0x21 or (>= 0x23 and <= 0x5B) or (>= 0x5D and <= 0x7E) or >= 0x80;

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
