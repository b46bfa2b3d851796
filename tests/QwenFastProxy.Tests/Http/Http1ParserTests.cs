using System.Buffers;
using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.Http1ParserHarness;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The HTTP/1.1 request-head parser (<see cref="Http1Parser"/>) on requests it accepts: request line, keep-alive
/// rules, field values, framing headers, and where it stops reading.
/// </summary>
public class Http1ParserTests
{
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
}
