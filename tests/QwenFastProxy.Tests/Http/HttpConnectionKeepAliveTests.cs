using System.Text;
using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.ConnectionHarness;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The connection loop driven through in-memory pipes (<see cref="ConnectionHarness"/>): keep-alive, HTTP/1.0
/// connections, Connection: close, pipelined requests and the server asking an idle connection to close.
/// </summary>
public class HttpConnectionKeepAliveTests
{
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
}
