using System.Globalization;
using System.Text;
using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests.Hardening;

/// <summary>
/// Hostile and borderline requests through the real proxy over raw sockets, measured against RFC 9112.
/// Every rejected row is followed on the same connection by a valid, pipelined chat request that must
/// not be served: a rejection closes the connection, and nothing reaches the upstream.
/// Every accepted row is followed by the same pipelined request, which must be served as a second,
/// separate request: the framing consumed exactly the body, no more, no less.
/// </summary>
public sealed class HostileRequestTests : IAsyncLifetime
{
    private const string ChatJson = """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}""";
    private const string Line = "POST /v1/chat/completions HTTP/1.1\r\n";
    private const string Head = Line + "Host: x\r\nContent-Type: application/json\r\n";
    private const int MaxHeaderBytes = 4096;

    private ProxyHarness _harness = null!;

    public async Task InitializeAsync() =>
        _harness = await ProxyHarness.StartAsync(o => o with { MaxRequestBodyBytes = 4096, MaxRequestHeaderBytes = MaxHeaderBytes });

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>A well-formed request, sent after every row on the same connection.</summary>
    private static string FollowUp => Head + $"Content-Length: {ChatJson.Length}\r\n\r\n{ChatJson}";

    // Placeholders: {BODY} the chat JSON, {LEN} its length in decimal, {HEX} in hex; {xx} the byte 0xXX.
    private static readonly Dictionary<string, (string Raw, int Status)> Cases = new()
    {
        // ------------------------------------------------------------ accepted (status 200, stays open)
        ["baseline content-length"] = (Head + "Content-Length: {LEN}\r\n\r\n{BODY}", 200),
        ["baseline chunked"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 200),
        // RFC 9112 §5.1: OWS around a field value is not part of it; "chunked " is "chunked".
        ["te 'chunked ' trailing space"] = (Head + "Transfer-Encoding: chunked \r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 200),
        // HTAB is OWS too.
        ["te tab before and after value"] = (Head + "Transfer-Encoding:\tchunked\t\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 200),
        // RFC 9112 §7: transfer-coding names are case-insensitive.
        ["te 'Chunked'"] = (Head + "Transfer-Encoding: Chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 200),
        ["te 'cHuNkEd'"] = (Head + "transfer-encoding: cHuNkEd\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 200),
        ["chunk size with leading zeros"] = (Head + "Transfer-Encoding: chunked\r\n\r\n000{HEX}\r\n{BODY}\r\n0000\r\n\r\n", 200),
        ["chunk extensions and trailer"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX} ; name=value;x=\"q\"\r\n{BODY}\r\n0;last\r\nX-Trailer: t\r\n\r\n", 200),
        // RFC 9112 §7.1.1: BWS before ";" is part of chunk-ext, on the last chunk too.
        ["chunk size, tab, extension"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX}\t;x=y\r\n{BODY}\r\n0 ;last\r\n\r\n", 200),
        // RFC 9112 §3.2.2: absolute-form is accepted; the authority is ignored (one upstream).
        ["absolute-form target"] = ("POST http://other.example/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 200),
        ["host with port and ipv6 literal"] = (Line + "Host: [::1]:8080\r\nContent-Type: application/json\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 200),

        // ------------------------------------------------------------ CL / TE smuggling
        ["CL.TE"] = (Head + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", 400),
        ["TE.CL"] = (Head + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n", 400),
        ["CL duplicate, equal"] = (Head + "Content-Length: {LEN}\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["CL duplicate, different"] = (Head + "Content-Length: {LEN}\r\nContent-Length: 0\r\n\r\n{BODY}", 400),
        ["CL comma list"] = (Head + "Content-Length: {LEN}, {LEN}\r\n\r\n{BODY}", 400),
        ["CL with plus sign"] = (Head + "Content-Length: +{LEN}\r\n\r\n{BODY}", 400),
        ["CL negative"] = (Head + "Content-Length: -1\r\n\r\n{BODY}", 400),
        ["CL hex"] = (Head + "Content-Length: 0x10\r\n\r\n{BODY}", 400),
        ["CL space inside digits"] = (Head + "Content-Length: 1 0\r\n\r\n{BODY}", 400),
        ["CL empty"] = (Head + "Content-Length: \r\n\r\n{BODY}", 400),
        ["CL overflow"] = (Head + "Content-Length: 99999999999999999999999\r\n\r\n{BODY}", 400),
        ["CL above body limit"] = (Head + "Content-Length: 99999999\r\n\r\n{BODY}", 413),
        ["te xchunked"] = (Head + "Transfer-Encoding: xchunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te 'chunked, identity'"] = (Head + "Transfer-Encoding: chunked, identity\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te 'chunked, chunked'"] = (Head + "Transfer-Encoding: chunked, chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te twice as two fields"] = (Head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te 'gzip, chunked' (unsupported coding)"] = (Head + "Transfer-Encoding: gzip, chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 501),
        ["te 'chunked;q=1'"] = (Head + "Transfer-Encoding: chunked;q=1\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te empty"] = (Head + "Transfer-Encoding: \r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te Kelvin-sign 'chun\u212Aed'"] = (Head + "Transfer-Encoding: chun{e2}{84}{aa}ed\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te vertical tab before value"] = (Head + "Transfer-Encoding: {0b}chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te NUL after value"] = (Head + "Transfer-Encoding: chunked{00}\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te name with trailing space"] = (Head + "Transfer-Encoding : chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te name with trailing tab"] = (Head + "Transfer-Encoding\t: chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te obs-folded value"] = (Head + "Transfer-Encoding:\r\n chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["te in HTTP/1.0"] = ("POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),

        // ------------------------------------------------------------ chunked body abuse
        ["chunk size overflow"] = (Head + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk size above body limit"] = (Head + "Transfer-Encoding: chunked\r\n\r\n7FFFFFFFFFFFFFFF\r\n{BODY}\r\n0\r\n\r\n", 413),
        ["chunk size negative"] = (Head + "Transfer-Encoding: chunked\r\n\r\n-1\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk size 0x prefix"] = (Head + "Transfer-Encoding: chunked\r\n\r\n0x{HEX}\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk size missing"] = (Head + "Transfer-Encoding: chunked\r\n\r\n;ext\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk size with space inside"] = (Head + "Transfer-Encoding: chunked\r\n\r\n1 0\r\n{BODY}\r\n0\r\n\r\n", 400),
        // BWS is only allowed before a chunk extension: with none after it, the size line is outside the grammar.
        ["chunk size followed by a space"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX} \r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk size followed by a tab"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX}\t\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["last chunk size followed by a space"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0 \r\n\r\n", 400),
        ["last chunk size followed by a tab"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\t\r\n\r\n", 400),
        ["chunk extension followed by a space"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX};x \r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk extension very long"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX};x=" + new string('a', 5000) + "\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk extension with NUL"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX};x{00}y\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk extension with bare CR"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX};x\ry\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk extension without a name"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX};\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk extension value with a space"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX};a=b c\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk extension unterminated quote"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX};a=\"b\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk data longer than its size"] = (Head + "Transfer-Encoding: chunked\r\n\r\n3\r\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk size line ends in bare LF"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX}\n{BODY}\r\n0\r\n\r\n", 400),
        ["chunk trailer with space before colon"] = (Head + "Transfer-Encoding: chunked\r\n\r\n{HEX}\r\n{BODY}\r\n0\r\nX-T : t\r\n\r\n", 400),

        // ------------------------------------------------------------ line endings and control characters
        ["bare CR ends the request line"] = (Line.TrimEnd('\n') + "Host: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["bare CR inside a header value"] = (Head + "X-A: a\rContent-Length: 0\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["bare LF ends the request line"] = ("POST /v1/chat/completions HTTP/1.1\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["bare LF ends a header line"] = (Head + "Content-Length: {LEN}\n\r\n{BODY}", 400),
        ["bare LF ends the head"] = (Head + "Content-Length: {LEN}\r\n\n{BODY}", 400),
        ["NUL in method"] = ("PO{00}ST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["NUL in target"] = ("POST /v1/chat/completions{00} HTTP/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["NUL in header name"] = (Head + "X{00}A: a\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["NUL in header value"] = (Head + "X-A: a{00}b\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["control 0x01 in header value"] = (Head + "X-A: a{01}b\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["DEL in header value"] = (Head + "X-A: a{7f}b\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["tab in target"] = ("POST /v1/chat/\tcompletions HTTP/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["non-ASCII byte in target"] = ("POST /v1/chat/completions{e9} HTTP/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),

        // ------------------------------------------------------------ header syntax
        ["obs-fold"] = (Head + "X-A: a\r\n b\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["whitespace before the first header"] = (Line + " Host: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["space before colon"] = (Head + "Content-Length : {LEN}\r\n\r\n{BODY}", 400),
        ["header name with parenthesis"] = (Head + "X(A): a\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["header name with quote"] = (Head + "X\"A: a\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["header name with non-ASCII"] = (Head + "X{e9}: a\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["empty header name"] = (Head + ": a\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["header line without colon"] = (Head + "X-A a\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["missing Host"] = (Line + "Content-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["duplicate Host"] = (Head + "Host: y\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["duplicate Host in HTTP/1.0"] = ("POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nHost: y\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["Host with a space"] = (Line + "Host: a b\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["Host with a path"] = (Line + "Host: a/b\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["Host with userinfo"] = (Line + "Host: user@a\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["Host with non-numeric port"] = (Line + "Host: a:b\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["Host with a broken percent-escape"] = (Line + "Host: a%zz\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["Host with unterminated IP literal"] = (Line + "Host: [::1\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["absolute-form with duplicate Host"] = ("POST http://x/v1/chat/completions HTTP/1.1\r\nHost: x\r\nHost: y\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["absolute-form without authority"] = ("POST http:///v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["authority-form (CONNECT)"] = ("CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", 400),
        ["asterisk-form with POST"] = ("POST * HTTP/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),

        // ------------------------------------------------------------ request line and sizes
        ["double space in request line"] = ("POST  /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["trailing space after version"] = ("POST /v1/chat/completions HTTP/1.1 \r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["lower-case version"] = ("POST /v1/chat/completions http/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["HTTP/2.0 version"] = ("POST /v1/chat/completions HTTP/2.0\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 505),
        ["five empty lines before the request"] = ("\r\n\r\n\r\n\r\n\r\n" + Head + "Content-Length: {LEN}\r\n\r\n{BODY}", 400),
        ["over-long request line"] = ("POST /v1/chat/completions?" + new string('a', 9000) + " HTTP/1.1\r\nHost: x\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 414),
        ["too many headers"] = (Head + string.Concat(Enumerable.Range(0, 101).Select(i => $"X-{i}: v\r\n")) + "Content-Length: {LEN}\r\n\r\n{BODY}", 431),
        ["header section too large"] = (Head + "X-A: " + new string('a', MaxHeaderBytes) + "\r\nContent-Length: {LEN}\r\n\r\n{BODY}", 431),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task HostileRequestGetsItsSpecifiedAnswer(string name)
    {
        var (raw, status) = Cases[name];
        var accepted = status == 200;
        await using var connection = await RawHttpConnection.ConnectAsync(_harness.EndPoint);

        await connection.SendAsync(Decode(Expand(raw) + FollowUp));

        var response = await connection.ReadResponseAsync();
        Assert.Equal(status, response.Status);
        if (accepted)
        {
            Assert.False(response.ClosesConnection);
            var second = await connection.ReadResponseAsync();
            Assert.Equal(200, second.Status);
            var seen = _harness.Simulator.Requests.Snapshot();
            Assert.Equal(2, seen.Count);
            Assert.All(seen, r => Assert.Equal(ChatJson, Encoding.UTF8.GetString(r.Body)));
        }
        else
        {
            Assert.True(response.ClosesConnection, "a rejected request must answer Connection: close");
            Assert.True(await connection.IsClosedByServerAsync(), "a rejected request must close the connection");
            // Neither the hostile request nor the request pipelined after it reached the upstream.
            Assert.Equal(0, _harness.Simulator.Requests.Count);
        }
    }

    private static string Expand(string raw) => raw
        .Replace("{BODY}", ChatJson, StringComparison.Ordinal)
        .Replace("{LEN}", ChatJson.Length.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{HEX}", ChatJson.Length.ToString("x", CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Latin-1 bytes, with <c>{xx}</c> standing for the byte 0xXX.</summary>
    private static byte[] Decode(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '{' && i + 3 < text.Length && text[i + 3] == '}'
                && byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 3;
                continue;
            }
            bytes.Add(checked((byte)text[i]));
        }
        return [.. bytes];
    }
}
