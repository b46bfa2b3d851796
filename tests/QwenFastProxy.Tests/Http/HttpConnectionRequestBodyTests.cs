using System.Globalization;
using System.Text;
using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.ConnectionHarness;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The connection loop driven through in-memory pipes (<see cref="ConnectionHarness"/>): request bodies
/// (Content-Length and chunked, arriving in arbitrary pieces) and Expect: 100-continue.
/// </summary>
public class HttpConnectionRequestBodyTests
{
    [Fact]
    public async Task DeliversAContentLengthBodyIntact()
    {
        await using var h = new ConnectionHarness();
        var body = string.Concat(Enumerable.Range(0, 5000).Select(i => (i % 10).ToString(CultureInfo.InvariantCulture))) + "\u00e9\u4e2d\ud83d\ude00";
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n");

        // Head and body in pieces that do not line up with anything.
        await h.SendAsync(head[..10]);
        await h.SendAsync([.. head[10..], .. bytes[..1000]]);
        await h.SendAsync(bytes[1000..1001]);
        await h.SendAsync(bytes[1001..]);

        var response = await h.Responses.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        var request = Assert.Single(h.Handler.Requests);
        Assert.Equal(body, request.Body);
        Assert.Equal("application/json", request.ContentType);
    }

    [Fact]
    public async Task DeliversAChunkedBodyIntact()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
        await h.SendAsync("lo\r\n6;note=\"x\"\r\n wor");
        await h.SendAsync("ld\r\n0\r\n");
        await h.SendAsync("Trailer: dropped\r\n\r\n");

        var response = await h.Responses.ReadResponseAsync();
        Assert.Equal("POST /c [hello world]", response.Body);
        Assert.Equal("hello world", Assert.Single(h.Handler.Requests).Body);
    }

    [Fact]
    public async Task SendsContinueBeforeTheBodyIsSent()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
        var interim = await h.Responses.ReadResponseAsync();
        Assert.Equal(100, interim.Status);
        Assert.Equal("HTTP/1.1 100 Continue", interim.StatusLine);
        Assert.Empty(interim.Headers);
        Assert.Empty(h.Handler.Requests);

        await h.SendAsync("hello");
        var final = await h.Responses.ReadResponseAsync();
        Assert.Equal(200, final.Status);
        Assert.Equal("POST /upload [hello]", final.Body);
        Assert.Equal([200], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task SendsContinueForAChunkedBody()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n");
        Assert.Equal(100, (await h.Responses.ReadResponseAsync()).Status);

        await h.SendAsync("3\r\nabc\r\n0\r\n\r\n");
        Assert.Equal("POST /upload [abc]", (await h.Responses.ReadResponseAsync()).Body);
    }

    [Fact]
    public async Task DoesNotSendContinueWhenTheBodyCameWithTheHead()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello");
        var response = await h.Responses.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("POST /upload [hello]", response.Body);
        await h.CloseInputAsync();
        await h.Responses.AssertClosedAsync();
    }

    [Fact]
    public async Task RefusesAnOversizedBodyInsteadOfSendingContinue()
    {
        await using var h = new ConnectionHarness(new HttpLimits(MaxRequestBodyBytes: 10));

        await h.SendAsync("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
        var response = await h.Responses.ReadResponseAsync();

        AssertOpenAiError(response, 413);
        await h.Responses.AssertClosedAsync();
    }
}
