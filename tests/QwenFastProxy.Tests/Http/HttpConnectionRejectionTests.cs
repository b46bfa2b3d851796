using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.ConnectionHarness;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The connection loop driven through in-memory pipes (<see cref="ConnectionHarness"/>): requests refused
/// for their syntax, framing or size get an OpenAI-shaped error and the connection closes; a handler's error on a
/// well-framed request keeps it open.
/// </summary>
public class HttpConnectionRejectionTests
{
    public static TheoryData<string, int> Rejections => new()
    {
        { "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
        { "GET / http/1.1\r\nHost: x\r\n\r\n", 400 },
        { "GET /a{01}b HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
        { "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
        { "GET / HTTP/1.1\nHost: x\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n folded\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400 },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
        { "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 1\r\n\r\nx", 417 },
        { "GET /" + new string('a', 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414 },
        { "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('b', 5000) + "\r\n\r\n", 431 },
        { "GET / HTTP/1.1\r\nHost: x\r\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"X-{i}: v\r\n")) + "\r\n", 431 },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", 413 },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n60\r\n" + new string('d', 96) + "\r\n5\r\n", 413 },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\t\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task RejectsWithAnOpenAiErrorAndCloses(string raw, int expectedStatus)
    {
        await using var h = new ConnectionHarness(new HttpLimits(MaxRequestHeaderBytes: 4096, MaxRequestBodyBytes: 100));

        await h.SendAsync(raw);
        var response = await h.Responses.ReadResponseAsync();

        AssertOpenAiError(response, expectedStatus);
        await h.Responses.AssertClosedAsync(); // the output ends while the client may still be sending
        await h.CloseInputAsync();
        await h.WaitForEndAsync();
        Assert.Empty(h.Handler.Requests);
        Assert.Equal([expectedStatus], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task DoesNotProcessRequestsAfterARejectedOne()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync(
            "GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /bad HTTP/1.1\r\n\r\n"
            + "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(200, (await h.Responses.ReadResponseAsync()).Status);
        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 400);
        await h.Responses.AssertClosedAsync();

        await h.SendAsync("GET /later HTTP/1.1\r\nHost: x\r\n\r\n");
        await h.CloseInputAsync();
        await h.WaitForEndAsync();
        Assert.Equal("/first", Assert.Single(h.Handler.Requests).Target);
        Assert.Equal([200, 400], h.AccessLog.Statuses);
    }

    public static TheoryData<string, string> WellFramedBadBodies => new()
    {
        { "POST /bad HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{nope", "{nope" },
        { "POST /bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{n\r\n3 ;x\r\nope\r\n0\r\n\r\n", "{nope" },
    };

    [Theory]
    [MemberData(nameof(WellFramedBadBodies))]
    public async Task KeepsTheConnectionAfterAHandlerErrorOnAWellFramedRequest(string raw, string body)
    {
        await using var h = new ConnectionHarness(respond: RefuseBadTarget);

        await h.SendAsync(raw + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");

        // A 400 about the content, not the framing: the request was read to its end, so the one after it is served.
        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 400, closes: false);
        Assert.Equal(200, (await h.Responses.ReadResponseAsync()).Status);
        Assert.False(h.Connection.IsCompleted);

        await h.CloseInputAsync();
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Equal([("/bad", body), ("/next", "")], h.Handler.Requests.Select(r => (r.Target, r.Body)));
        Assert.Equal([400, 200], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task AHandlerThatForcesCloseEndsTheConnectionAfterItsError()
    {
        await using var h = new ConnectionHarness(respond: context =>
        {
            context.Response.ForceClose();
            return RefuseBadTarget(context);
        });

        await h.SendAsync("POST /bad HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{nopeGET /next HTTP/1.1\r\nHost: x\r\n\r\n");

        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 400);
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Equal("/bad", Assert.Single(h.Handler.Requests).Target);
    }

    [Fact]
    public async Task EndsARejectedConnectionAfterTheDrainTimeoutEvenIfTheClientStaysOpen()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET / HTTP/2.0\r\n\r\n");
        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 505);
        await h.Responses.AssertClosedAsync();

        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(2));
        h.Time.Advance(TimeSpan.FromSeconds(3));

        await h.WaitForEndAsync();
    }

    /// <summary>Answers <c>/bad</c> with a 400 about its content, anything else with 200.</summary>
    private static ValueTask RefuseBadTarget(RequestContext context)
    {
        if (context.Request.TargetString() == "/bad")
        {
            context.Response.WriteError(new HttpError(400, "The request body is not valid JSON.", "invalid_request_body"));
        }
        else
        {
            context.Response.WriteComplete(200, "Content-Type: text/plain\r\n"u8, "ok"u8);
        }
        return ValueTask.CompletedTask;
    }
}
