using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The connection loop driven through in-memory pipes: what a client writes goes into the transport's
/// input, and the responses are parsed back out of its output. Time is fake; every wait is bounded.
/// </summary>
public class HttpConnectionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    // ---------------------------------------------------------------- keep-alive, pipelining, close

    [Fact]
    public async Task ServesTwoRequestsOnOneKeepAliveConnection()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET /one HTTP/1.1\r\nHost: example\r\nX-Test: first\r\n\r\n");
        var first = await h.Responses.ReadResponseAsync();
        Assert.Equal(200, first.Status);
        Assert.Equal("HTTP/1.1 200 OK", first.StatusLine);
        Assert.Equal("text/plain", first.Header("Content-Type"));
        Assert.Equal("GET /one []", first.Body);
        Assert.Null(first.Header("Connection"));

        await h.SendAsync("POST /two HTTP/1.1\r\nHost: example\r\nContent-Length: 4\r\n\r\nbody");
        var second = await h.Responses.ReadResponseAsync();
        Assert.Equal(200, second.Status);
        Assert.Equal("POST /two [body]", second.Body);
        Assert.False(h.Connection.IsCompleted);

        await h.CloseInputAsync();
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();

        Assert.Equal(
            [
                new RecordedRequest("GET", "/one", "", "example", "first", false, true),
                new RecordedRequest("POST", "/two", "body", "example", null, false, true),
            ],
            h.Handler.Requests);
        Assert.Equal([200, 200], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task AnswersPipelinedRequestsInOrder()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync(
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nbee"
            + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nse\r\n1;ext=1\r\na\r\n0\r\nX-Trailer: t\r\n\r\n");

        Assert.Equal("GET /a []", (await h.Responses.ReadResponseAsync()).Body);
        Assert.Equal("POST /b [bee]", (await h.Responses.ReadResponseAsync()).Body);
        Assert.Equal("POST /c [sea]", (await h.Responses.ReadResponseAsync()).Body);
        Assert.Equal(["/a", "/b", "/c"], h.Handler.Requests.Select(r => r.Target));

        await h.CloseInputAsync();
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Equal([200, 200, 200], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task SendsAResponseBeforeWaitingForTheRestOfAPipelinedHead()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo");
        Assert.Equal("GET /a []", (await h.Responses.ReadResponseAsync()).Body);

        await h.SendAsync("st: x\r\n\r\n");
        Assert.Equal("GET /b []", (await h.Responses.ReadResponseAsync()).Body);
    }

    [Fact]
    public async Task SendsAResponseBeforeWaitingForThePipelinedBody()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n");
        Assert.Equal("GET /a []", (await h.Responses.ReadResponseAsync()).Body);

        await h.SendAsync("abc");
        await h.SendAsync("def");
        Assert.Equal("POST /b [abcdef]", (await h.Responses.ReadResponseAsync()).Body);
    }

    [Fact]
    public async Task ClosesAnHttp10ConnectionAfterTheResponse()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET /old HTTP/1.0\r\n\r\n");
        var response = await h.Responses.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.Equal("GET /old []", response.Body);
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync(); // without the client closing its side
        var request = Assert.Single(h.Handler.Requests);
        Assert.True(request.IsHttp10);
        Assert.False(request.KeepAlive);
    }

    [Fact]
    public async Task KeepsAnHttp10ConnectionThatAsksForKeepAlive()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        var first = await h.Responses.ReadResponseAsync();
        Assert.Equal("keep-alive", first.Header("Connection"));

        await h.SendAsync("GET /2 HTTP/1.0\r\n\r\n");
        var second = await h.Responses.ReadResponseAsync();
        Assert.Equal("GET /2 []", second.Body);
        Assert.Equal("close", second.Header("Connection"));
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Equal(2, h.Handler.Requests.Count);
    }

    [Fact]
    public async Task ClosesAfterAResponseToConnectionClose()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = await h.Responses.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Equal("/last", Assert.Single(h.Handler.Requests).Target);
        Assert.Equal([200], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task ClosesAnIdleConnectionWhenTheServerAsksItTo()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, (await h.Responses.ReadResponseAsync()).Status);

        h.Lifetime.RequestClose();

        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Single(h.Handler.Requests);
    }

    // ---------------------------------------------------------------- Expect: 100-continue

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

    // ---------------------------------------------------------------- bodies

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

    // ---------------------------------------------------------------- rejections

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
        h.Time.Fake.Advance(TimeSpan.FromSeconds(3));

        await h.WaitForEndAsync();
    }

    // ---------------------------------------------------------------- client going away

    [Fact]
    public async Task AnswersBadRequestWhenTheClientClosesMidHead()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET /x HTTP/1.1\r\nHo");
        await h.CloseInputAsync();

        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 400);
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Empty(h.Handler.Requests);
        Assert.Equal([400], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task AnswersBadRequestWhenTheClientClosesMidBody()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        await h.CloseInputAsync();

        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 400);
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Empty(h.Handler.Requests);
    }

    [Fact]
    public async Task ClosesSilentlyWhenTheClientLeavesWithoutSendingAnything()
    {
        await using var h = new ConnectionHarness();

        await h.CloseInputAsync();

        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Empty(h.AccessLog.Statuses);
    }

    [Fact]
    public async Task ClosesSilentlyWhenTheClientLeavesBetweenRequests()
    {
        await using var h = new ConnectionHarness();

        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, (await h.Responses.ReadResponseAsync()).Status);
        await h.CloseInputAsync();

        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Equal([200], h.AccessLog.Statuses);
    }

    // ---------------------------------------------------------------- timeouts

    [Fact]
    public async Task AnswersRequestTimeoutWhenTheHeadIsTooSlow()
    {
        await using var h = new ConnectionHarness(new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(5)));

        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");
        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(5));
        h.Time.Fake.Advance(TimeSpan.FromSeconds(6));

        var response = await h.Responses.ReadResponseAsync();
        AssertOpenAiError(response, 408);
        await h.Responses.AssertClosedAsync();
        await h.CloseInputAsync();
        await h.WaitForEndAsync();
        Assert.Empty(h.Handler.Requests);
        Assert.Equal([408], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task ServesAHeadThatBeatsTheHeadersTimeout()
    {
        await using var h = new ConnectionHarness(new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(5)));

        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");
        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(5));
        h.Time.Fake.Advance(TimeSpan.FromSeconds(4));
        await h.SendAsync("\r\n");

        Assert.Equal(200, (await h.Responses.ReadResponseAsync()).Status);
    }

    [Fact]
    public async Task ClosesAnIdleKeepAliveConnectionWithoutAResponse()
    {
        var limits = new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(5), KeepAliveTimeout: TimeSpan.FromSeconds(10));
        await using var h = new ConnectionHarness(limits);

        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, (await h.Responses.ReadResponseAsync()).Status);

        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(10));
        h.Time.Fake.Advance(TimeSpan.FromSeconds(11));

        await h.Responses.AssertClosedAsync(); // no 408: nothing of a request had arrived
        await h.WaitForEndAsync();
        Assert.Equal([200], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task AppliesTheHeadersTimeoutOnceTheNextRequestStarts()
    {
        var limits = new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(5), KeepAliveTimeout: TimeSpan.FromSeconds(60));
        await using var h = new ConnectionHarness(limits);

        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, (await h.Responses.ReadResponseAsync()).Status);
        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(60));

        await h.SendAsync("GET /slow HTTP/1.1\r\n");
        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(5), count: 2); // the first arming was for the first request
        h.Time.Fake.Advance(TimeSpan.FromSeconds(6));

        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 408);
        await h.Responses.AssertClosedAsync();
        Assert.Equal([200, 408], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task AnswersRequestTimeoutWhenTheBodyFallsBelowTheMinimumDataRate()
    {
        // 100 bytes/s after a 5 s grace: 100 bytes last until second 5, then the rate is too low, long
        // before the 30 s of silence the headers timeout would allow.
        var limits = new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(30), MinRequestBodyBytesPerSecond: 100, MinRequestBodyDataRateGracePeriod: TimeSpan.FromSeconds(5));
        await using var h = new ConnectionHarness(limits);

        await h.SendAsync("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + new string('a', 100));
        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(5)); // once the 100 bytes that came with the head were taken
        h.Time.Fake.Advance(TimeSpan.FromSeconds(6));

        var response = await h.Responses.ReadResponseAsync();
        AssertOpenAiError(response, 408);
        Assert.Contains("minimum data rate", response.Body, StringComparison.Ordinal);
        await h.Responses.AssertClosedAsync();
        Assert.Empty(h.Handler.Requests);
        Assert.Equal([408], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task ServesABodyThatKeepsTheMinimumDataRatePastTheGracePeriod()
    {
        var limits = new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(30), MinRequestBodyBytesPerSecond: 100, MinRequestBodyDataRateGracePeriod: TimeSpan.FromSeconds(5));
        await using var h = new ConnectionHarness(limits);

        // 700 bytes buy 7 s at 100 bytes/s: at second 6 the body is still on time.
        await h.SendAsync("POST /steady HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + new string('a', 700));
        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(7));
        h.Time.Fake.Advance(TimeSpan.FromSeconds(6));
        await h.SendAsync(new string('b', 300));

        var response = await h.Responses.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("/steady", Assert.Single(h.Handler.Requests).Target);
    }

    [Fact]
    public async Task FlushesHeldPipelinedResponsesAtThePipeliningDepth()
    {
        // /c's handler waits; with a depth of 2 the answers to /a and /b are already out, instead of
        // being held behind it.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = new ConnectionHarness(new HttpLimits(MaxHeldPipelinedResponses: 2), respond: async context =>
        {
            if (context.Request.TargetString() == "/c")
            {
                await release.Task.WaitAsync(Bound);
            }
            var body = Encoding.UTF8.GetBytes(context.Request.TargetString());
            context.Response.WriteComplete(200, "Content-Type: text/plain\r\n"u8, body);
        });

        await h.SendAsync("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal("/a", (await h.Responses.ReadResponseAsync()).Body);
        Assert.Equal("/b", (await h.Responses.ReadResponseAsync()).Body);
        release.SetResult();
        Assert.Equal("/c", (await h.Responses.ReadResponseAsync()).Body);
    }

    [Fact]
    public async Task EnforcesTheHeadersTimeoutWhenTheTimerFiresEarly()
    {
        // System timers run on a coarser clock than the timestamps the deadline is kept in, and fire up
        // to a few milliseconds early: the connection must wait for the rest, not give up on the deadline.
        var time = new ManualTimeProvider();
        await using var h = new ConnectionHarness(new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(5)), time: time);
        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");
        Assert.Equal(TimeSpan.FromSeconds(5), time.DueTime);

        var rearmed = time.NextArmAsync();
        time.Elapsed = TimeSpan.FromMilliseconds(4997);
        time.Fire();
        Assert.Equal(TimeSpan.FromMilliseconds(3), await rearmed);

        time.Elapsed = TimeSpan.FromSeconds(5);
        time.Fire();
        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 408);
        await h.Responses.AssertClosedAsync();
    }

    [Fact]
    public async Task IgnoresAStrayTimerCallbackBeforeTheDeadline()
    {
        var time = new ManualTimeProvider();
        await using var h = new ConnectionHarness(new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(5)), time: time);
        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");

        var rearmed = time.NextArmAsync();
        time.Elapsed = TimeSpan.FromSeconds(1);
        time.Fire();
        Assert.Equal(TimeSpan.FromSeconds(4), await rearmed);

        await h.SendAsync("\r\n");
        Assert.Equal(200, (await h.Responses.ReadResponseAsync()).Status);
    }

    // ---------------------------------------------------------------- handler failures, access log

    [Fact]
    public async Task AnswersInternalErrorWhenTheHandlerThrowsBeforeWriting()
    {
        await using var h = new ConnectionHarness(respond: _ => throw new InvalidOperationException("boom"));

        await h.SendAsync("GET /explode HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = await h.Responses.ReadResponseAsync();

        AssertOpenAiError(response, 500);
        Assert.DoesNotContain("boom", response.Body, StringComparison.Ordinal);
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
        Assert.Equal([500], h.AccessLog.Statuses);
    }

    [Fact]
    public async Task AnswersInternalErrorWhenTheHandlerFaultsAsynchronously()
    {
        await using var h = new ConnectionHarness(respond: async _ =>
        {
            await Task.Yield();
            throw new InvalidOperationException("late boom");
        });

        await h.SendAsync("GET /explode HTTP/1.1\r\nHost: x\r\n\r\n");

        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 500);
        await h.Responses.AssertClosedAsync();
        await h.WaitForEndAsync();
    }

    [Fact]
    public async Task LogsEveryRequestWithItsStatus()
    {
        await using var h = new ConnectionHarness(respond: context =>
        {
            var status = context.Request.TargetString() == "/missing" ? 404 : 201;
            context.Response.WriteComplete(status, "Content-Type: text/plain\r\n"u8, "x"u8);
            return ValueTask.CompletedTask;
        });

        await h.SendAsync("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(404, (await h.Responses.ReadResponseAsync()).Status);
        await h.SendAsync("POST /made HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz");
        Assert.Equal(201, (await h.Responses.ReadResponseAsync()).Status);
        await h.SendAsync("POST /made HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nz");
        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 400);

        await h.CloseInputAsync();
        await h.WaitForEndAsync();
        Assert.Equal([404, 201, 400], h.AccessLog.Statuses);
    }

    // ---------------------------------------------------------------- helpers

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

    private static void AssertOpenAiError(RawResponse response, int expectedStatus, bool closes = true)
    {
        Assert.Equal(expectedStatus, response.Status);
        Assert.Equal("application/json", response.Header("Content-Type"));
        Assert.Equal(closes ? "close" : null, response.Header("Connection"));
        Assert.Equal(Encoding.UTF8.GetByteCount(response.Body).ToString(CultureInfo.InvariantCulture), response.Header("Content-Length"));

        using var json = JsonDocument.Parse(response.Body);
        var root = Assert.Single(json.RootElement.EnumerateObject());
        Assert.Equal("error", root.Name);
        var error = root.Value;
        Assert.Equal(["message", "type", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(expectedStatus >= 500 ? "server_error" : "invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("code").GetString()));
    }

    private sealed record RecordedRequest(string Method, string Target, string Body, string? Host, string? XTest, bool IsHttp10, bool KeepAlive)
    {
        public string? ContentType { get; init; }
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>Records every request; answers with an echo unless told otherwise.</summary>
    private sealed class RecordingHandler(Func<RequestContext, ValueTask>? respond) : IRequestHandler
    {
        private readonly ConcurrentQueue<RecordedRequest> _requests = new();

        public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

        public ValueTask HandleAsync(RequestContext context)
        {
            var request = context.Request;
            var recorded = new RecordedRequest(
                Latin1(request.MethodBytes),
                request.TargetString(),
                Encoding.UTF8.GetString(request.Body.Span),
                request.Headers.GetString("Host"u8),
                request.Headers.GetString("X-Test"u8),
                request.IsHttp10,
                request.KeepAlive)
            {
                ContentType = request.Headers.GetString("Content-Type"u8),
            };
            _requests.Enqueue(recorded);
            if (respond is not null)
            {
                return respond(context);
            }
            var body = Encoding.UTF8.GetBytes($"{recorded.Method} {recorded.Target} [{recorded.Body}]");
            context.Response.WriteComplete(200, "Content-Type: text/plain\r\n"u8, body);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class RecordingAccessLog : IAccessLog
    {
        private readonly ConcurrentQueue<int> _statuses = new();

        public IReadOnlyList<int> Statuses => [.. _statuses];

        public void RequestCompleted(RequestContext context) => _statuses.Enqueue(context.Response.StatusCode);
    }

    private sealed class LifetimeNotification : IConnectionLifetimeNotificationFeature, IDisposable
    {
        private readonly CancellationTokenSource _source = new();

        public LifetimeNotification() => ConnectionClosedRequested = _source.Token;

        public CancellationToken ConnectionClosedRequested { get; set; }

        public void RequestClose() => _source.Cancel();

        public void Dispose() => _source.Dispose();
    }

    /// <summary>
    /// A <see cref="FakeTimeProvider"/> that also reports when a timer is armed, so a test can advance
    /// the clock only once the connection is actually waiting (instead of sleeping and hoping).
    /// </summary>
    private sealed class ObservableTimeProvider : TimeProvider
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<TimeSpan, int> _armed = [];
        private readonly List<(TimeSpan DueTime, int Count, TaskCompletionSource Done)> _waiters = [];

        public FakeTimeProvider Fake { get; } = new();

        public override long TimestampFrequency => Fake.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

        public override long GetTimestamp() => Fake.GetTimestamp();

        public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ObservedTimer(this, Fake.CreateTimer(callback, state, dueTime, period));
            OnArmed(dueTime);
            return timer;
        }

        /// <summary>Completes once a timer has been armed with <paramref name="dueTime"/> at least <paramref name="count"/> times.</summary>
        public Task WaitForArmAsync(TimeSpan dueTime, int count = 1)
        {
            lock (_gate)
            {
                if (_armed.GetValueOrDefault(dueTime) >= count)
                {
                    return Task.CompletedTask;
                }
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((dueTime, count, done));
                return done.Task.WaitAsync(Bound);
            }
        }

        private void OnArmed(TimeSpan dueTime)
        {
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }
            lock (_gate)
            {
                var count = _armed[dueTime] = _armed.GetValueOrDefault(dueTime) + 1;
                for (var i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (_waiters[i].DueTime == dueTime && _waiters[i].Count <= count)
                    {
                        _waiters[i].Done.TrySetResult();
                        _waiters.RemoveAt(i);
                    }
                }
            }
        }

        private sealed class ObservedTimer(ObservableTimeProvider owner, ITimer inner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                var changed = inner.Change(dueTime, period);
                owner.OnArmed(dueTime);
                return changed;
            }

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }

    /// <summary>A clock the test sets, and one timer the test fires by hand.</summary>
    private sealed class ManualTimeProvider : TimeProvider
    {
        private readonly Lock _gate = new();
        private TimerCallback? _callback;
        private object? _state;
        private TimeSpan _dueTime = Timeout.InfiniteTimeSpan;
        private TaskCompletionSource<TimeSpan>? _nextArm;
        private long _elapsedTicks;

        public TimeSpan Elapsed
        {
            get => TimeSpan.FromTicks(Volatile.Read(ref _elapsedTicks));
            set => Volatile.Write(ref _elapsedTicks, value.Ticks);
        }

        public TimeSpan DueTime
        {
            get
            {
                lock (_gate)
                {
                    return _dueTime;
                }
            }
        }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Volatile.Read(ref _elapsedTicks);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (_gate)
            {
                Assert.Null(_callback); // one connection, one timer
                _callback = callback;
                _state = state;
            }
            var timer = new ManualTimer(this);
            timer.Change(dueTime, period);
            return timer;
        }

        /// <summary>Completes with the due time of the next arming.</summary>
        public Task<TimeSpan> NextArmAsync()
        {
            lock (_gate)
            {
                _nextArm = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
                return _nextArm.Task.WaitAsync(Bound);
            }
        }

        /// <summary>Runs the timer's callback now, whatever the clock says.</summary>
        public void Fire()
        {
            TimerCallback? callback;
            object? state;
            lock (_gate)
            {
                callback = _callback;
                state = _state;
                _dueTime = Timeout.InfiniteTimeSpan;
            }
            Assert.NotNull(callback);
            callback(state);
        }

        private void OnChange(TimeSpan dueTime)
        {
            lock (_gate)
            {
                _dueTime = dueTime;
                if (dueTime != Timeout.InfiniteTimeSpan && _nextArm is { } next)
                {
                    _nextArm = null;
                    next.TrySetResult(dueTime);
                }
            }
        }

        private sealed class ManualTimer(ManualTimeProvider owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                owner.OnChange(dueTime);
                return true;
            }

            public void Dispose() => owner.OnChange(Timeout.InfiniteTimeSpan);

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }

    private sealed record RawResponse(int Status, string StatusLine, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
    {
        public string? Header(string name)
        {
            var matches = Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.True(matches.Count <= 1, $"header {name} sent {matches.Count} times");
            return matches.Count == 0 ? null : matches[0].Value;
        }
    }

    /// <summary>Parses HTTP/1.1 responses out of the connection's output, every read bounded.</summary>
    private sealed class ResponseReader(PipeReader reader)
    {
        private const int MaxReads = 10_000;
        private readonly List<byte> _data = [];
        private int _position;
        private bool _completed;

        public async Task<RawResponse> ReadResponseAsync()
        {
            var statusLine = await ReadLineAsync();
            Assert.StartsWith("HTTP/1.1 ", statusLine, StringComparison.Ordinal);
            var status = int.Parse(statusLine.AsSpan(9, 3), CultureInfo.InvariantCulture);

            var headers = new List<KeyValuePair<string, string>>();
            for (var line = await ReadLineAsync(); line.Length > 0; line = await ReadLineAsync())
            {
                Assert.True(headers.Count < 100, "too many response headers");
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                Assert.True(colon > 0, $"malformed response header line: {line}");
                headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
            }

            string body;
            var transferEncoding = headers.FirstOrDefault(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)).Value;
            var contentLength = headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
            if (status < 200 || status is 204 or 304)
            {
                body = "";
            }
            else if (string.Equals(transferEncoding, "chunked", StringComparison.OrdinalIgnoreCase))
            {
                body = await ReadChunkedAsync();
            }
            else if (contentLength is not null)
            {
                body = Encoding.UTF8.GetString(await ReadBytesAsync(int.Parse(contentLength, CultureInfo.InvariantCulture)));
            }
            else
            {
                while (await FillAsync())
                {
                }
                body = Encoding.UTF8.GetString(Take(_data.Count - _position));
            }
            return new RawResponse(status, statusLine, headers, body);
        }

        /// <summary>Waits for the connection to complete its output, and checks nothing else was sent.</summary>
        public async Task AssertClosedAsync()
        {
            for (var i = 0; i < MaxReads && await FillAsync(); i++)
            {
            }
            Assert.True(_completed, "the connection did not close its output");
            Assert.True(_data.Count == _position, $"unexpected bytes after the last response: {Latin1(Take(_data.Count - _position))}");
        }

        private async Task<string> ReadChunkedAsync()
        {
            var body = new List<byte>();
            for (var chunks = 0; chunks < MaxReads; chunks++)
            {
                var sizeLine = await ReadLineAsync();
                var size = int.Parse(sizeLine.Split(';')[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    for (var trailer = await ReadLineAsync(); trailer.Length > 0; trailer = await ReadLineAsync())
                    {
                    }
                    return Encoding.UTF8.GetString([.. body]);
                }
                body.AddRange(await ReadBytesAsync(size));
                Assert.Equal("", await ReadLineAsync());
            }
            throw new InvalidOperationException("too many chunks");
        }

        private async Task<string> ReadLineAsync()
        {
            for (var i = 0; i < MaxReads; i++)
            {
                var end = CollectionsMarshal.AsSpan(_data)[_position..].IndexOf("\r\n"u8);
                if (end >= 0)
                {
                    var line = Latin1(Take(end));
                    _position += 2;
                    return line;
                }
                if (!await FillAsync())
                {
                    throw new InvalidOperationException($"the connection closed its output in the middle of a line: {Latin1(Take(_data.Count - _position))}");
                }
            }
            throw new InvalidOperationException("no line after many reads");
        }

        private async Task<byte[]> ReadBytesAsync(int count)
        {
            for (var i = 0; i < MaxReads && _data.Count - _position < count; i++)
            {
                if (!await FillAsync())
                {
                    throw new InvalidOperationException($"the connection closed its output {count - (_data.Count - _position)} bytes short of a body");
                }
            }
            return Take(count);
        }

        private byte[] Take(int count)
        {
            var bytes = CollectionsMarshal.AsSpan(_data).Slice(_position, count).ToArray();
            _position += count;
            return bytes;
        }

        /// <summary>One read from the output; false once it is complete and nothing more arrived.</summary>
        private async Task<bool> FillAsync()
        {
            if (_completed)
            {
                return false;
            }
            var result = await reader.ReadAsync().AsTask().WaitAsync(Bound);
            var received = result.Buffer.Length;
            foreach (var segment in result.Buffer)
            {
                _data.AddRange(segment.Span);
            }
            reader.AdvanceTo(result.Buffer.End);
            _completed = result.IsCompleted;
            return received > 0 || !_completed;
        }
    }

    private sealed class ConnectionHarness : IAsyncDisposable
    {
        private static readonly PipeOptions Options = new(pauseWriterThreshold: 0, useSynchronizationContext: false);

        private readonly Pipe _input = new(Options);
        private readonly Pipe _output = new(Options);
        private readonly DefaultConnectionContext _context;

        public ConnectionHarness(HttpLimits? limits = null, Func<RequestContext, ValueTask>? respond = null, TimeProvider? time = null)
        {
            Handler = new RecordingHandler(respond);
            _context = new DefaultConnectionContext(
                "test",
                transport: new DuplexPipe(_input.Reader, _output.Writer),
                application: new DuplexPipe(_output.Reader, _input.Writer));
            _context.Features.Set<IConnectionLifetimeNotificationFeature>(Lifetime);
            Responses = new ResponseReader(_output.Reader);
            Connection = new ProxyConnectionHandler(Handler, limits ?? new HttpLimits(), AccessLog, time ?? Time).OnConnectedAsync(_context);
        }

        public RecordingHandler Handler { get; }

        public RecordingAccessLog AccessLog { get; } = new();

        public ObservableTimeProvider Time { get; } = new();

        public LifetimeNotification Lifetime { get; } = new();

        public ResponseReader Responses { get; }

        /// <summary>The connection loop; completes when the connection is over.</summary>
        public Task Connection { get; }

        public Task SendAsync(string text) => SendAsync(Decode(text));

        public async Task SendAsync(byte[] bytes) => await _input.Writer.WriteAsync(bytes).AsTask().WaitAsync(Bound);

        /// <summary>The client closes its side (FIN).</summary>
        public async Task CloseInputAsync() => await _input.Writer.CompleteAsync();

        public Task WaitForEndAsync() => Connection.WaitAsync(Bound);

        public async ValueTask DisposeAsync()
        {
            await _input.Writer.CompleteAsync();
            try
            {
                await Connection.WaitAsync(Bound);
            }
            finally
            {
                await _output.Reader.CompleteAsync();
                await _context.DisposeAsync();
                Lifetime.Dispose();
            }
        }
    }
}
