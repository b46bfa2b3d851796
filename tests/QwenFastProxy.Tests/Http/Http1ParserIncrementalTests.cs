using System.Buffers;
using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.Http1ParserHarness;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The HTTP/1.1 request-head parser (<see cref="Http1Parser"/>) fed in pieces: every way of cutting a request
/// gives the same result as the whole of it.
/// </summary>
public class Http1ParserIncrementalTests
{
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
}
