using static QwenFastProxy.Tests.Http.ConnectionHarness;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The connection loop driven through in-memory pipes (<see cref="ConnectionHarness"/>): the client closing
/// its side in the middle of a request, before any, or between two.
/// </summary>
public class HttpConnectionDisconnectTests
{
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
}
