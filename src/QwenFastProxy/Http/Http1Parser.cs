using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace QwenFastProxy.Http;

/// <summary>
/// Incremental parser of an HTTP/1.1 request head (RFC 9112 sections 3 and 5–6). Fed whatever the
/// connection has read, it takes complete lines only, keeps its place between reads, and stops at the
/// first violation with the status to answer. Framing rules are strict on purpose: the proxy re-frames
/// every body it forwards, so anything ambiguous is refused rather than interpreted.
/// </summary>
internal sealed class Http1Parser
{
    private static readonly HttpError RequestLineTooLong = new(414, "Request line too long.");
    private static readonly HttpError HeadersTooLarge = new(431, "Request header fields too large.");
    private static readonly HttpError TooManyHeaders = new(431, "Too many request header fields.");
    private static readonly HttpError BadRequestLine = new(400, "Malformed request line.");
    private static readonly HttpError BadTarget = new(400, "Malformed request target.");
    private static readonly HttpError BadVersion = new(400, "Malformed HTTP version.");
    private static readonly HttpError UnsupportedVersion = new(505, "HTTP version not supported: use HTTP/1.1 or HTTP/1.0.", "http_version_not_supported");
    private static readonly HttpError BadHeader = new(400, "Malformed header field.");
    private static readonly HttpError ObsFold = new(400, "Obsolete line folding in a header field is not accepted.");
    private static readonly HttpError BadContentLength = new(400, "Invalid Content-Length.");
    private static readonly HttpError DuplicateContentLength = new(400, "Duplicate Content-Length.");
    private static readonly HttpError ContentLengthAndTransferEncoding = new(400, "Both Content-Length and Transfer-Encoding were sent.");
    private static readonly HttpError ChunkedNotFinal = new(400, "Transfer-Encoding must end with chunked.");
    private static readonly HttpError DuplicateChunked = new(400, "Transfer-Encoding lists chunked more than once.");
    private static readonly HttpError UnsupportedCoding = new(501, "Transfer codings other than chunked are not supported.", "not_implemented");
    private static readonly HttpError TransferEncodingInHttp10 = new(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request.");
    private static readonly HttpError MissingHost = new(400, "Missing Host header.");
    private static readonly HttpError DuplicateHost = new(400, "More than one Host header.");
    private static readonly HttpError BadHost = new(400, "Invalid Host header.");
    private static readonly HttpError UnsupportedExpectation = new(417, "Only the 100-continue expectation is supported.", "expectation_failed");

    private readonly int _maxHeaderBytes;
    private readonly long _maxBodyBytes;
    private byte[]? _scratch;

    private const int MaxEmptyLinesBeforeRequest = 4;

    private bool _requestLineDone;
    private int _emptyLinesBeforeRequest;
    private int _headerBytes;
    private int _contentLengthCount;
    private int _hostCount;
    private bool _sawTransferEncoding;
    private bool _chunkedSeen;
    private bool _lastCodingIsChunked;
    private bool _otherCodingSeen;
    private bool _keepAliveToken;
    private bool _closeToken;

    public Http1Parser(int maxHeaderBytes, long maxBodyBytes)
    {
        _maxHeaderBytes = maxHeaderBytes;
        _maxBodyBytes = maxBodyBytes;
    }

    /// <summary>The error of the last <see cref="ParseStatus.Error"/>.</summary>
    public HttpError Error { get; private set; }


    public void Reset()
    {
        _requestLineDone = false;
        _emptyLinesBeforeRequest = 0;
        _headerBytes = 0;
        _contentLengthCount = 0;
        _hostCount = 0;
        _sawTransferEncoding = false;
        _chunkedSeen = false;
        _lastCodingIsChunked = false;
        _otherCodingSeen = false;
        _keepAliveToken = false;
        _closeToken = false;
        Error = default;
    }

    /// <summary>Consumes complete lines from <paramref name="reader"/> into <paramref name="request"/>.</summary>
    public ParseStatus ParseHead(ref SequenceReader<byte> reader, HttpRequest request)
    {
        while (!_requestLineDone)
        {
            var status = LineReader.TryRead(ref reader, HttpRequest.MaxRequestLineBytes + 2, ref _scratch, RequestLineTooLong, out var line, out _, out var error);
            if (status != ParseStatus.Complete)
            {
                return Fail(status, error);
            }
            // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line
            // (some clients send a CRLF after a POST body). A few, not an endless stream of them.
            if (line.IsEmpty && ++_emptyLinesBeforeRequest <= MaxEmptyLinesBeforeRequest)
            {
                continue;
            }
            if (!ParseRequestLine(line, request, out error))
            {
                return Fail(ParseStatus.Error, error);
            }
            _requestLineDone = true;
        }

        while (true)
        {
            var budget = _maxHeaderBytes - _headerBytes;
            var status = LineReader.TryRead(ref reader, budget, ref _scratch, HeadersTooLarge, out var line, out var consumed, out var error);
            if (status != ParseStatus.Complete)
            {
                return Fail(status, error);
            }
            _headerBytes += consumed;
            if (line.IsEmpty)
            {
                return Finish(request);
            }
            if (!ParseHeaderLine(line, request, out error))
            {
                return Fail(ParseStatus.Error, error);
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

    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
    private static bool ParseRequestLine(ReadOnlySpan<byte> line, HttpRequest request, out HttpError error)
    {
        error = BadRequestLine;
        var firstSpace = line.IndexOf((byte)' ');
        if (firstSpace <= 0 || firstSpace > 31)
        {
            return false;
        }
        var method = line[..firstSpace];
        if (!HttpSyntax.IsToken(method))
        {
            return false;
        }
        var rest = line[(firstSpace + 1)..];
        var secondSpace = rest.IndexOf((byte)' ');
        if (secondSpace <= 0)
        {
            return false;
        }
        var target = rest[..secondSpace];
        var version = rest[(secondSpace + 1)..];

        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            request.IsHttp10 = false;
        }
        else if (version.SequenceEqual("HTTP/1.0"u8))
        {
            request.IsHttp10 = true;
        }
        else
        {
            error = IsWellFormedVersion(version) ? UnsupportedVersion : BadVersion;
            return false;
        }

        var kind = MethodKind(method);
        request.SetMethod(method, kind);
        if (!HttpSyntax.IsTargetChars(target))
        {
            error = BadTarget;
            return false;
        }
        if (target[0] == (byte)'/')
        {
            request.SetTarget(target);
            return true;
        }
        if (target.Length == 1 && target[0] == (byte)'*' && kind == HttpMethodKind.Options)
        {
            request.SetTarget(target);
            return true;
        }
        // absolute-form (RFC 9112 §3.2.2): servers must accept it; the authority is ignored because
        // this proxy has one upstream and routes by path only.
        if (TryStripScheme(target, out var afterScheme))
        {
            // The authority ends at the first '/' or '?'; an empty path becomes "/" and a query that
            // follows it is kept ("http://host?x=1" is "/?x=1" in origin-form, RFC 9112 §3.2.1).
            var pathStart = afterScheme.IndexOfAny((byte)'/', (byte)'?');
            if (pathStart < 0)
            {
                request.SetTarget("/"u8);
            }
            else if (afterScheme[pathStart] == (byte)'/')
            {
                request.SetTarget(afterScheme[pathStart..]);
            }
            else
            {
                request.SetTarget("/"u8, afterScheme[pathStart..]);
            }
            return true;
        }
        error = BadTarget;
        return false;
    }

    private static bool TryStripScheme(ReadOnlySpan<byte> target, out ReadOnlySpan<byte> rest)
    {
        if (target.Length > 7 && Ascii.EqualsIgnoreCase(target[..7], "http://"u8))
        {
            rest = target[7..];
            return rest.Length > 0 && rest[0] != (byte)'/';
        }
        if (target.Length > 8 && Ascii.EqualsIgnoreCase(target[..8], "https://"u8))
        {
            rest = target[8..];
            return rest.Length > 0 && rest[0] != (byte)'/';
        }
        rest = default;
        return false;
    }

    // HTTP-version = "HTTP" "/" DIGIT "." DIGIT; HTTP/2 and HTTP/3 do not speak this syntax but are
    // recognisable, and deserve 505 rather than 400.
    private static bool IsWellFormedVersion(ReadOnlySpan<byte> version) =>
        version.StartsWith("HTTP/"u8)
        && (version.Length == 8 && char.IsAsciiDigit((char)version[5]) && version[6] == (byte)'.' && char.IsAsciiDigit((char)version[7])
            || version.Length == 6 && char.IsAsciiDigit((char)version[5]));

    private static HttpMethodKind MethodKind(ReadOnlySpan<byte> method) => method.Length switch
    {
        3 when method.SequenceEqual("GET"u8) => HttpMethodKind.Get,
        3 when method.SequenceEqual("PUT"u8) => HttpMethodKind.Put,
        4 when method.SequenceEqual("POST"u8) => HttpMethodKind.Post,
        4 when method.SequenceEqual("HEAD"u8) => HttpMethodKind.Head,
        5 when method.SequenceEqual("PATCH"u8) => HttpMethodKind.Patch,
        6 when method.SequenceEqual("DELETE"u8) => HttpMethodKind.Delete,
        7 when method.SequenceEqual("OPTIONS"u8) => HttpMethodKind.Options,
        _ => HttpMethodKind.Other,
    };

    // field-line = field-name ":" OWS field-value OWS (RFC 9112 §5)
    private bool ParseHeaderLine(ReadOnlySpan<byte> line, HttpRequest request, out HttpError error)
    {
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            error = ObsFold;
            return false;
        }
        var colon = line.IndexOf((byte)':');
        // "No whitespace is allowed between the field name and colon" (RFC 9112 §5.1): the token check
        // refuses it, because a space is not a tchar.
        if (colon <= 0 || !HttpSyntax.IsToken(line[..colon]))
        {
            error = BadHeader;
            return false;
        }
        var name = line[..colon];
        var value = HttpSyntax.TrimOws(line[(colon + 1)..]);
        if (!HttpSyntax.IsFieldValue(value))
        {
            error = BadHeader;
            return false;
        }
        if (!request.Headers.TryAdd(name, value))
        {
            error = request.Headers.Count == RequestHeaders.MaxCount ? TooManyHeaders : HeadersTooLarge;
            return false;
        }
        return Interpret(name, value, request, out error);
    }

    private bool Interpret(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HttpRequest request, out HttpError error)
    {
        error = default;
        switch (name.Length)
        {
            case 4 when Ascii.EqualsIgnoreCase(name, "Host"u8):
                _hostCount++;
                // RFC 9112 §3.2: "A server MUST respond with a 400 … to any request message that
                // contains … a Host header field with an invalid field value."
                if (!HttpSyntax.IsHostValue(value))
                {
                    error = BadHost;
                    return false;
                }
                return true;
            case 6 when Ascii.EqualsIgnoreCase(name, "Expect"u8):
                if (!Ascii.EqualsIgnoreCase(value, "100-continue"u8))
                {
                    error = UnsupportedExpectation;
                    return false;
                }
                request.ExpectContinue = true;
                return true;
            case 10 when Ascii.EqualsIgnoreCase(name, "Connection"u8):
                ReadConnectionTokens(value);
                return true;
            case 14 when Ascii.EqualsIgnoreCase(name, "Content-Length"u8):
                return ReadContentLength(value, request, out error);
            case 17 when Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8):
                return ReadTransferEncoding(value, out error);
            default:
                return true;
        }
    }

    // Content-Length = 1*DIGIT (RFC 9110 §8.6). A list, a sign, spaces inside or a second field are
    // all refused: "If a message is received … with … multiple Content-Length header fields having
    // differing field values … the recipient MUST treat it as an unrecoverable error" (RFC 9112 §6.3);
    // we refuse even equal duplicates, as a strict proxy should.
    private bool ReadContentLength(ReadOnlySpan<byte> value, HttpRequest request, out HttpError error)
    {
        error = default;
        if (++_contentLengthCount > 1)
        {
            error = DuplicateContentLength;
            return false;
        }
        if (value.IsEmpty || value.Length > 18 || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0
            || !Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length)
        {
            error = BadContentLength;
            return false;
        }
        request.ContentLength = length;
        return true;
    }

    private bool ReadTransferEncoding(ReadOnlySpan<byte> value, out HttpError error)
    {
        error = default;
        _sawTransferEncoding = true;
        foreach (var range in value.Split((byte)','))
        {
            var coding = HttpSyntax.TrimOws(value[range]);
            if (coding.IsEmpty)
            {
                continue; // empty list elements are allowed (RFC 9110 §5.6.1)
            }
            if (Ascii.EqualsIgnoreCase(coding, "chunked"u8))
            {
                if (_chunkedSeen)
                {
                    error = DuplicateChunked;
                    return false;
                }
                _chunkedSeen = true;
                _lastCodingIsChunked = true;
            }
            else
            {
                _otherCodingSeen = true;
                _lastCodingIsChunked = false;
            }
        }
        return true;
    }

    private void ReadConnectionTokens(ReadOnlySpan<byte> value)
    {
        foreach (var range in value.Split((byte)','))
        {
            var token = HttpSyntax.TrimOws(value[range]);
            if (Ascii.EqualsIgnoreCase(token, "close"u8))
            {
                _closeToken = true;
            }
            else if (Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
            {
                _keepAliveToken = true;
            }
        }
    }

    private ParseStatus Finish(HttpRequest request)
    {
        if (_sawTransferEncoding)
        {
            // RFC 9112 §6.1: TE in HTTP/1.0 means faulty framing; TE + CL is a smuggling attempt;
            // chunked must be the final coding or the length cannot be determined.
            if (request.IsHttp10)
            {
                return Fail(ParseStatus.Error, TransferEncodingInHttp10);
            }
            if (_contentLengthCount > 0)
            {
                return Fail(ParseStatus.Error, ContentLengthAndTransferEncoding);
            }
            if (!_lastCodingIsChunked)
            {
                return Fail(ParseStatus.Error, ChunkedNotFinal);
            }
            if (_otherCodingSeen)
            {
                return Fail(ParseStatus.Error, UnsupportedCoding);
            }
            request.IsChunked = true;
        }
        if (!request.IsHttp10 && _hostCount != 1)
        {
            return Fail(ParseStatus.Error, _hostCount == 0 ? MissingHost : DuplicateHost);
        }
        if (request.IsHttp10 && _hostCount > 1)
        {
            return Fail(ParseStatus.Error, DuplicateHost);
        }
        request.KeepAlive = request.IsHttp10 ? _keepAliveToken && !_closeToken : !_closeToken;
        if (request.ContentLength > _maxBodyBytes)
        {
            return Fail(ParseStatus.Error, BodyTooLarge);
        }
        return ParseStatus.Complete;
    }

    /// <summary>The 413 answer, shared with the chunked body reader.</summary>
    public static readonly HttpError BodyTooLarge = new(413, "Request body too large.", "request_too_large");
}
