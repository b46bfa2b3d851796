using static QwenFastProxy.Tests.Http.ConnectionHarness;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The connection loop driven through in-memory pipes (<see cref="ConnectionHarness"/>): a handler that
/// throws gets a 500 in its place, and the access log records every request with its status.
/// </summary>
public class HttpConnectionHandlerFailureTests
{
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
}
