using System.Buffers;
using System.Text;
using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

public class Http1ParserTests
{
    private const int MaxHeaderBytes = 4096;
    private const long MaxBodyBytes = 1024 * 1024;

    // ---------------------------------------------------------------- accepted requests

    [Theory]
    [InlineData("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n", "GET", HttpMethodKind.Get, "/v1/models", "/v1/models", false)]
    [InlineData("POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "POST", HttpMethodKind.Post, "/v1/chat/completions?x=1", "/v1/chat/completions", false)]
    [InlineData("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", "HEAD", HttpMethodKind.Head, "/", "/", false)]
    [InlineData("PUT /p HTTP/1.1\r\nHost: a\r\n\r\n", "PUT", HttpMethodKind.Put, "/p", "/p", false)]
    [InlineData("DELETE /d HTTP/1.1\r\nHost: a\r\n\r\n", "DELETE", HttpMethodKind.Delete, "/d", "/d", false)]
    [InlineData("PATCH /p HTTP/1.1\r\nHost: a\r\n\r\n", "PATCH", HttpMethodKind.Patch, "/p", "/p", false)]
    [InlineData("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", HttpMethodKind.Options, "*", "*", false)]
    [InlineData("OPTIONS /v1/models HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", HttpMethodKind.Options, "/v1/models", "/v1/models", false)]
    [InlineData("get / HTTP/1.1\r\nHost: a\r\n\r\n", "get", HttpMethodKind.Other, "/", "/", false)]
    [InlineData("M-SEARCH / HTTP/1.1\r\nHost: a\r\n\r\n", "M-SEARCH", HttpMethodKind.Other, "/", "/", false)]
    [InlineData("GET /a%20b?c=d&e=~!$'()*+,;=:@/ HTTP/1.1\r\nHost: a\r\n\r\n", "GET", HttpMethodKind.Get, "/a%20b?c=d&e=~!$'()*+,;=:@/", "/a%20b", false)]
    [InlineData("GET http://example.com/v1/models?a=b HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET", HttpMethodKind.Get, "/v1/models?a=b", "/v1/models", false)]
    [InlineData("GET HTTPS://Example.COM:8443/x HTTP/1.1\r\nHost: a\r\n\r\n", "GET", HttpMethodKind.Get, "/x", "/x", false)]
    [InlineData("GET http://example.com HTTP/1.1\r\nHost: a\r\n\r\n", "GET", HttpMethodKind.Get, "/", "/", false)]
    [InlineData("GET http://example.com?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", "GET", HttpMethodKind.Get, "/?x=1", "/", false)]
    [InlineData("GET http://user@example.com:80/a/b HTTP/1.1\r\nHost: a\r\n\r\n", "GET", HttpMethodKind.Get, "/a/b", "/a/b", false)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", "GET", HttpMethodKind.Get, "/", "/", true)]
    [InlineData("POST /v1/completions HTTP/1.0\r\nHost: a\r\nContent-Length: 2\r\n\r\n", "POST", HttpMethodKind.Post, "/v1/completions", "/v1/completions", true)]
    // RFC 9112 §2.2: empty lines before the request line are ignored (up to four).
    [InlineData("\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n", "GET", HttpMethodKind.Get, "/x", "/x", false)]
    [InlineData("\r\n\r\n\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n", "GET", HttpMethodKind.Get, "/x", "/x", false)]
    public void ParsesRequestLine(string raw, string method, HttpMethodKind kind, string target, string path, bool http10)
    {
        var bytes = Decode(raw);
        var (status, parser, request, consumed) = Parse(new ReadOnlySequence<byte>(bytes));

        Assert.True(status == ParseStatus.Complete, $"expected Complete, got {status} ({parser.Error})");
        Assert.Equal(method, Latin1(request.MethodBytes));
        Assert.Equal(kind, request.Method);
        Assert.Equal(target, Latin1(request.Target));
        Assert.Equal(target, request.TargetString());
        Assert.Equal(path, Latin1(request.Path));
        Assert.Equal(http10, request.IsHttp10);
        Assert.Equal(bytes.Length, consumed);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nconnection: close\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-Connection: close\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.0\r\nConnection: te, keep-alive\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false)]
    public void AppliesKeepAliveRules(string raw, bool keepAlive)
    {
        var (status, parser, request, _) = Parse(new ReadOnlySequence<byte>(Decode(raw)));

        Assert.True(status == ParseStatus.Complete, $"expected Complete, got {status} ({parser.Error})");
        Assert.Equal(keepAlive, request.KeepAlive);
    }

    [Theory]
    [InlineData("X-Value:   spaced value \t ", "spaced value")]
    [InlineData("X-Value:value", "value")]
    [InlineData("X-Value:\tvalue\t", "value")]
    [InlineData("X-Value: a \t b", "a \t b")]
    [InlineData("X-Value: \t ", "")]
    [InlineData("X-Value:", "")]
    [InlineData("X-Value: caf{e9} {80}{ff}", "caf{e9} {80}{ff}")]
    [InlineData("X-Value: \"quoted, list\"; q=0.5", "\"quoted, list\"; q=0.5")]
    public void TrimsOwsAndKeepsFieldValue(string field, string expected)
    {
        var raw = $"GET / HTTP/1.1\r\nHost: a\r\n{field}\r\n\r\n";
        var (status, parser, request, _) = Parse(new ReadOnlySequence<byte>(Decode(raw)));

        Assert.True(status == ParseStatus.Complete, $"expected Complete, got {status} ({parser.Error})");
        Assert.True(request.Headers.TryGet("x-value"u8, out var value));
        Assert.Equal(Latin1(Decode(expected)), Latin1(value));
        Assert.Equal(Latin1(Decode(expected)), request.Headers.GetString("X-VALUE"u8));
    }

    [Fact]
    public void AcceptsValidHostValues()
    {
        foreach (var host in new[] { "", "a", "localhost:8080", "127.0.0.1:1", "[::1]", "[::1]:443", "a.b-c_d~e", "a%2Fb", "a:", "x!$&'()*+,;=" })
        {
            var (status, parser, _, _) = Parse(new ReadOnlySequence<byte>(Decode($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n")));
            Assert.True(status == ParseStatus.Complete, $"Host '{host}': {status} ({parser.Error})");
        }
    }

    [Fact]
    public void KeepsHeaderOrderAndNameCase()
    {
        var raw = "GET / HTTP/1.1\r\nHost: example\r\nx-CUSTOM: one\r\nX-Custom: two\r\nAccept: */*\r\n\r\n";
        var (status, _, request, _) = Parse(new ReadOnlySequence<byte>(Decode(raw)));

        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(4, request.Headers.Count);
        Assert.Equal(
            ["Host: example", "x-CUSTOM: one", "X-Custom: two", "Accept: */*"],
            Enumerable.Range(0, request.Headers.Count).Select(i => $"{Latin1(request.Headers.NameAt(i))}: {Latin1(request.Headers.ValueAt(i))}"));
        Assert.Equal("one", request.Headers.GetString("X-CUSTOM"u8));
        Assert.Null(request.Headers.GetString("X-Missing"u8));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", -1L, false, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0L, false, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n", 42L, false, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\ncontent-length:  00012 \r\n\r\n", 12L, false, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n", 1048576L, false, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", -1L, true, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: Chunked\r\n\r\n", -1L, true, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked ,\r\n\r\n", -1L, true, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", 3L, false, true)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n", -1L, true, true)]
    public void ReadsFraming(string raw, long contentLength, bool chunked, bool expectContinue)
    {
        var (status, parser, request, _) = Parse(new ReadOnlySequence<byte>(Decode(raw)));

        Assert.True(status == ParseStatus.Complete, $"expected Complete, got {status} ({parser.Error})");
        Assert.Equal(contentLength, request.ContentLength);
        Assert.Equal(chunked, request.IsChunked);
        Assert.Equal(expectContinue, request.ExpectContinue);
        Assert.Equal(chunked || contentLength > 0, request.HasBody);
    }

    [Fact]
    public void AcceptsEighteenDigitContentLengthWhenTheBodyLimitAllowsIt()
    {
        var raw = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999999999\r\n\r\n";
        var (status, _, request, _) = Parse(new ReadOnlySequence<byte>(Decode(raw)), maxBodyBytes: long.MaxValue);

        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(999_999_999_999_999_999L, request.ContentLength);
    }

    [Fact]
    public void LeavesTheBodyAndPipelinedBytesUnconsumed()
    {
        var head = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
        var bytes = Decode(head + "helloGET / HTTP/1.1\r\n");
        var (status, _, _, consumed) = Parse(new ReadOnlySequence<byte>(bytes));

        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(head.Length, consumed);
    }

    [Fact]
    public void IsIncompleteUntilTheBlankLine()
    {
        var raw = "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n";
        var (status, _, _, consumed) = Parse(new ReadOnlySequence<byte>(Decode(raw)));

        Assert.Equal(ParseStatus.Incomplete, status);
        Assert.Equal(raw.Length, consumed);
    }

    [Fact]
    public void ResetMakesTheParserReusable()
    {
        var parser = new Http1Parser(MaxHeaderBytes, MaxBodyBytes);
        var request = new HttpRequest(MaxHeaderBytes);

        foreach (var raw in new[]
        {
            "POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\n",
            "GET /two HTTP/1.1\r\nHost: b\r\n\r\n",
        })
        {
            request.Reset();
            parser.Reset();
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Decode(raw)));
            Assert.Equal(ParseStatus.Complete, parser.ParseHead(ref reader, request));
        }

        Assert.Equal("/two", request.TargetString());
        Assert.Equal(-1L, request.ContentLength);
        Assert.True(request.KeepAlive);
        Assert.Equal("b", request.Headers.GetString("Host"u8));
        Assert.Equal(1, request.Headers.Count);
    }

    // ---------------------------------------------------------------- rejected requests

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
        var raw = "GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, extraFields).Select(i => $"X-{i}: v\r\n")) + "\r\n";
        var (status, parser, request, _) = Parse(new ReadOnlySequence<byte>(Decode(raw)), maxHeaderBytes: 32 * 1024);

        Assert.Equal(accepted ? ParseStatus.Complete : ParseStatus.Error, status);
        Assert.Equal(expectedError, parser.Error.Status);
        if (accepted)
        {
            Assert.Equal(100, request.Headers.Count);
        }
    }

    // ---------------------------------------------------------------- incremental parsing

    public static TheoryData<string> SplitCases => [.. SplitRequests.Keys];

    private static readonly Dictionary<string, (string Raw, int MaxHeaderBytes)> SplitRequests = new()
    {
        ["get"] = ("GET /v1/models?limit=5 HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\nUser-Agent: test/1.0\r\n\r\n", MaxHeaderBytes),
        ["post-with-body"] = ("POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"model\":\"x\"}", MaxHeaderBytes),
        ["chunked-expect"] = ("POST /v1/completions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\n\r\n", MaxHeaderBytes),
        ["http10-keep-alive"] = ("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", MaxHeaderBytes),
        ["absolute-form"] = ("GET http://example.com/v1/models HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n", MaxHeaderBytes),
        ["asterisk"] = ("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", MaxHeaderBytes),
        ["ows-and-obs-text"] = ("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t caf{e9} \t\r\nX-B:\r\n\r\n", MaxHeaderBytes),
        ["incomplete"] = ("GET / HTTP/1.1\r\nHost: a\r\nX-Partial: va", MaxHeaderBytes),
        ["bare-lf-in-request-line"] = ("GET / HTTP/1.1\nHost: a\r\n\r\n", MaxHeaderBytes),
        ["bare-lf-in-header"] = ("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", MaxHeaderBytes),
        ["bare-cr-in-value"] = ("GET / HTTP/1.1\r\nHost: a\r\nX: b\rc\r\n\r\n", MaxHeaderBytes),
        ["obs-fold"] = ("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", MaxHeaderBytes),
        ["duplicate-content-length"] = ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", MaxHeaderBytes),
        ["unsupported-version"] = ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", MaxHeaderBytes),
        ["missing-host"] = ("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", MaxHeaderBytes),
        ["header-section-too-large"] = ("GET / HTTP/1.1\r\nHost: a\r\nX-A: " + new string('a', 100) + "\r\nX-B: b\r\n\r\n", 96),
        ["request-line-too-long"] = (RequestLineOfLength(8300) + "\r\nHost: a\r\n\r\n", MaxHeaderBytes),
    };

    [Theory]
    [MemberData(nameof(SplitCases))]
    public void GivesTheSameResultSplitInTwoAtEveryByte(string name)
    {
        var (raw, maxHeaderBytes) = SplitRequests[name];
        var bytes = Decode(raw);
        var whole = Outcome(new ReadOnlySequence<byte>(bytes), maxHeaderBytes);

        foreach (var (split, sequence) in EveryTwoWaySplit(bytes))
        {
            var outcome = Outcome(sequence, maxHeaderBytes);
            Assert.True(whole == outcome, $"split at {split}: {outcome} != {whole}");
        }
    }

    [Theory]
    [MemberData(nameof(SplitCases))]
    public void GivesTheSameResultFedOneByteAtATime(string name)
    {
        var (raw, maxHeaderBytes) = SplitRequests[name];
        var bytes = Decode(raw);
        var whole = Outcome(new ReadOnlySequence<byte>(bytes), maxHeaderBytes);

        var incremental = ParseByteByByte(bytes, maxHeaderBytes);

        Assert.Equal(whole, incremental with { BytesFed = whole.BytesFed });
    }

    [Fact]
    public void GivesTheSameResultSplitInThreeAtEveryPairOfBytes()
    {
        var bytes = Decode("POST /v1/x?y=1 HTTP/1.1\r\nHost: a\r\nX-A:  b \r\nContent-Length: 2\r\n\r\n");
        var whole = Outcome(new ReadOnlySequence<byte>(bytes), MaxHeaderBytes);
        Assert.Equal(ParseStatus.Complete, whole.Status);

        for (var first = 1; first < bytes.Length - 1; first++)
        {
            for (var second = first + 1; second < bytes.Length; second++)
            {
                var outcome = Outcome(Segments(bytes[..first], bytes[first..second], [], bytes[second..]), MaxHeaderBytes);
                Assert.True(whole == outcome, $"split at {first} and {second}: {outcome} != {whole}");
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static string RequestLineOfLength(int length)
    {
        // "GET /aaa… HTTP/1.1"
        var target = "/" + new string('a', length - "GET / HTTP/1.1".Length);
        return $"GET {target} HTTP/1.1";
    }

    /// <summary>"Host: a" plus filler, then the blank line: exactly <paramref name="length"/> bytes.</summary>
    private static string HeaderSectionOfLength(int length)
    {
        const string host = "Host: a\r\n";
        const string fillerPrefix = "X-Filler: ";
        var fillerValue = length - host.Length - fillerPrefix.Length - 2 - 2;
        return host + fillerPrefix + new string('f', fillerValue) + "\r\n\r\n";
    }

    private static (ParseStatus Status, Http1Parser Parser, HttpRequest Request, long Consumed) Parse(
        ReadOnlySequence<byte> sequence, int maxHeaderBytes = MaxHeaderBytes, long maxBodyBytes = MaxBodyBytes)
    {
        var parser = new Http1Parser(maxHeaderBytes, maxBodyBytes);
        var request = new HttpRequest(maxHeaderBytes);
        request.Reset();
        parser.Reset();
        var reader = new SequenceReader<byte>(sequence);
        var status = parser.ParseHead(ref reader, request);
        return (status, parser, request, reader.Consumed);
    }

    private static ParseOutcome Outcome(ReadOnlySequence<byte> sequence, int maxHeaderBytes)
    {
        var (status, parser, request, consumed) = Parse(sequence, maxHeaderBytes);
        return ParseOutcome.From(status, parser, request, consumed, sequence.Length);
    }

    /// <summary>
    /// Feeds one byte at a time the way the connection does: what the parser did not consume stays in
    /// front of the next byte (as a separate segment), and the parser keeps its state in between.
    /// </summary>
    private static ParseOutcome ParseByteByByte(byte[] bytes, int maxHeaderBytes)
    {
        var parser = new Http1Parser(maxHeaderBytes, MaxBodyBytes);
        var request = new HttpRequest(maxHeaderBytes);
        request.Reset();
        parser.Reset();
        byte[] pending = [];
        long consumed = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            var sequence = Segments(pending, [bytes[i]]);
            var reader = new SequenceReader<byte>(sequence);
            var status = parser.ParseHead(ref reader, request);
            consumed += reader.Consumed;
            if (status != ParseStatus.Incomplete)
            {
                return ParseOutcome.From(status, parser, request, consumed, i + 1);
            }
            pending = sequence.Slice(reader.Position).ToArray();
        }
        return ParseOutcome.From(ParseStatus.Incomplete, parser, request, consumed, bytes.Length);
    }

    /// <summary>Everything observable after a parse, as a comparable value.</summary>
    private sealed record ParseOutcome(
        ParseStatus Status,
        int ErrorStatus,
        string? ErrorMessage,
        long Consumed,
        string Method,
        HttpMethodKind MethodKind,
        string Target,
        bool IsHttp10,
        bool KeepAlive,
        long ContentLength,
        bool IsChunked,
        bool ExpectContinue,
        string Headers,
        long BytesFed)
    {
        public static ParseOutcome From(ParseStatus status, Http1Parser parser, HttpRequest request, long consumed, long bytesFed)
        {
            if (status == ParseStatus.Error)
            {
                // Where the reader stopped inside a refused line carries no meaning.
                return new(status, parser.Error.Status, parser.Error.Message, 0, "", default, "", false, false, 0, false, false, "", bytesFed);
            }
            if (status == ParseStatus.Incomplete)
            {
                return new(status, 0, null, consumed, "", default, "", false, false, 0, false, false, "", bytesFed);
            }
            var headers = new StringBuilder();
            for (var i = 0; i < request.Headers.Count; i++)
            {
                headers.Append(Latin1(request.Headers.NameAt(i))).Append(": ").Append(Latin1(request.Headers.ValueAt(i))).Append('\n');
            }
            return new(
                status, 0, null, consumed, Latin1(request.MethodBytes), request.Method, Latin1(request.Target), request.IsHttp10,
                request.KeepAlive, request.ContentLength, request.IsChunked, request.ExpectContinue, headers.ToString(), bytesFed);
        }
    }
}
