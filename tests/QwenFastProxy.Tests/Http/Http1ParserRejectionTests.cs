using System.Buffers;
using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.Http1ParserHarness;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The HTTP/1.1 request-head parser (<see cref="Http1Parser"/>) on requests it refuses, each with its status, and
/// on the size limits of the request line, the header section and the number of fields.
/// </summary>
public class Http1ParserRejectionTests
{
    [Theory]
    // Malformed request lines.
    [InlineData("GET /\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400)]
    [InlineData(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / http/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / Http/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GE@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("G{c9}T / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET{00} / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    // Request targets.
    [InlineData("GET /a{00}b HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET /a{01}b HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET /a{7f}b HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET /caf{e9} HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET relative HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("OPTIONS ** HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET http:// HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET http:///path HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET ftp://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    // Versions.
    [InlineData("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505)]
    [InlineData("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505)]
    [InlineData("GET / HTTP/3\r\nHost: a\r\n\r\n", 505)]
    [InlineData("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505)]
    [InlineData("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/11\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / HTTPS/1.1\r\nHost: a\r\n\r\n", 400)]
    // Bare LF anywhere.
    [InlineData("GET / HTTP/1.1\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\nX-B: c\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\nGET / HTTP/1.1\r\n", 400)]
    [InlineData("\n", 400)]
    // Bare CR, NUL and other controls in a field.
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b{00}c\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A{00}: b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b{01}\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b{1b}c\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b{7f}\r\n\r\n", 400)]
    // obs-fold, whitespace before the colon, empty or bad names.
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-{e9}: b\r\n\r\n", 400)]
    // Content-Length and Transfer-Encoding.
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  5x\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5.0\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000000000000\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.0\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400)]
    // Host.
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400)]
    // A Host field with an invalid value (RFC 9112 §3.2: 400): uri-host [ ":" port ] only.
    [InlineData("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a%2\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: caf{e9}\r\n\r\n", 400)]
    // Expect.
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nExpect: something-else\r\nContent-Length: 1\r\n\r\n", 417)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, foo\r\nContent-Length: 1\r\n\r\n", 417)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n", 417)]
    // Body limit (1 MiB here).
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 413)]
    [InlineData("POST / HTTP/1.0\r\nContent-Length: 999999999999999999\r\n\r\n", 413)]
    // More than four empty lines before the request line is not a stray CRLF any more.
    [InlineData("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    public void Rejects(string raw, int expectedStatus)
    {
        var (status, parser, _, _) = Parse(new ReadOnlySequence<byte>(Decode(raw)));

        Assert.Equal(ParseStatus.Error, status);
        Assert.Equal(expectedStatus, parser.Error.Status);
        Assert.False(string.IsNullOrEmpty(parser.Error.Message));
        Assert.False(string.IsNullOrEmpty(parser.Error.Code));
    }

    [Theory]
    [InlineData(8190, true, 0)]
    [InlineData(8192, true, 0)]
    [InlineData(8193, false, 414)]
    [InlineData(20000, false, 414)]
    public void LimitsTheRequestLineToEightKilobytes(int requestLineLength, bool accepted, int expectedError)
    {
        var raw = RequestLineOfLength(requestLineLength) + "\r\nHost: a\r\n\r\n";
        var (status, parser, request, _) = Parse(new ReadOnlySequence<byte>(Decode(raw)));

        Assert.Equal(accepted ? ParseStatus.Complete : ParseStatus.Error, status);
        Assert.Equal(expectedError, parser.Error.Status);
        if (accepted)
        {
            Assert.Equal(requestLineLength - "GET  HTTP/1.1".Length, request.Target.Length);
        }
    }

    [Fact]
    public void RejectsAnOverlongRequestLineBeforeItsEnd()
    {
        // No LF yet: the parser must not wait for the rest of a line that is already too long.
        var (status, parser, _, _) = Parse(new ReadOnlySequence<byte>(Decode(RequestLineOfLength(9000))));

        Assert.Equal(ParseStatus.Error, status);
        Assert.Equal(414, parser.Error.Status);

        var (shortStatus, _, _, _) = Parse(new ReadOnlySequence<byte>(Decode(RequestLineOfLength(8192))));
        Assert.Equal(ParseStatus.Incomplete, shortStatus);
    }

    [Fact]
    public void AcceptsAHeaderSectionExactlyAtTheLimit()
    {
        // The limit covers the header lines and the blank line, CRLFs included (not the request line).
        const int limit = 256;
        var headers = HeaderSectionOfLength(limit);
        var raw = "GET / HTTP/1.1\r\n" + headers;

        var (status, parser, request, consumed) = Parse(new ReadOnlySequence<byte>(Decode(raw)), maxHeaderBytes: limit);
        Assert.True(status == ParseStatus.Complete, $"expected Complete, got {status} ({parser.Error})");
        Assert.Equal(raw.Length, consumed);
        Assert.Equal("a", request.Headers.GetString("Host"u8));

        var (overStatus, overParser, _, _) = Parse(new ReadOnlySequence<byte>(Decode("GET / HTTP/1.1\r\n" + HeaderSectionOfLength(limit + 1))), maxHeaderBytes: limit);
        Assert.Equal(ParseStatus.Error, overStatus);
        Assert.Equal(431, overParser.Error.Status);
    }

    [Fact]
    public void RejectsAnOversizedHeaderSectionBeforeTheBlankLine()
    {
        const int limit = 256;

        // One field line that has already outgrown the budget, no LF yet.
        var longLine = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + new string('v', limit);
        var (status, parser, _, _) = Parse(new ReadOnlySequence<byte>(Decode(longLine)), maxHeaderBytes: limit);
        Assert.Equal(ParseStatus.Error, status);
        Assert.Equal(431, parser.Error.Status);

        // Many complete short lines that add up past the budget, still no blank line.
        var manyLines = "GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"X-{i:D2}: v\r\n"));
        var (manyStatus, manyParser, _, _) = Parse(new ReadOnlySequence<byte>(Decode(manyLines)), maxHeaderBytes: limit);
        Assert.Equal(ParseStatus.Error, manyStatus);
        Assert.Equal(431, manyParser.Error.Status);

        // The same fed byte by byte fails at the first byte past the limit.
        var outcome = ParseByteByByte(Decode(manyLines), limit);
        Assert.Equal(ParseStatus.Error, outcome.Status);
        Assert.Equal(431, outcome.ErrorStatus);
        Assert.True(outcome.BytesFed <= "GET / HTTP/1.1\r\n".Length + limit + 1, $"failed only after {outcome.BytesFed} bytes");
    }

    [Theory]
    [InlineData(99, true, 0)]
    [InlineData(100, false, 431)]
    [InlineData(150, false, 431)]
    public void LimitsTheNumberOfHeaderFieldsToOneHundred(int extraFields, bool accepted, int expectedError)
    {
        // Host plus the extra fields.
        var raw = "GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, extraFields).Select(i => $"X-{i}: v{i}\r\n")) + "\r\n";
        var (status, parser, request, _) = Parse(new ReadOnlySequence<byte>(Decode(raw)), maxHeaderBytes: 32 * 1024);

        Assert.Equal(accepted ? ParseStatus.Complete : ParseStatus.Error, status);
        Assert.Equal(expectedError, parser.Error.Status);
        if (accepted)
        {
            Assert.Equal(100, request.Headers.Count);
            // The index starts small and grows: fields from before and after each growth read back intact.
            Assert.Equal("v0", request.Headers.GetString("X-0"u8));
            Assert.Equal("v15", request.Headers.GetString("X-15"u8));
            Assert.Equal("v98", request.Headers.GetString("X-98"u8));
        }
    }

    /// <summary>"Host: a" plus filler, then the blank line: exactly <paramref name="length"/> bytes.</summary>
    private static string HeaderSectionOfLength(int length)
    {
        const string host = "Host: a\r\n";
        const string fillerPrefix = "X-Filler: ";
        var fillerValue = length - host.Length - fillerPrefix.Length - 2 - 2;
        return host + fillerPrefix + new string('f', fillerValue) + "\r\n\r\n";
    }
}
