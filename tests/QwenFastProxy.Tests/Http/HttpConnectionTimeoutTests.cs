using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.ConnectionHarness;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// The connection loop driven through in-memory pipes (<see cref="ConnectionHarness"/>) on a fake clock:
/// the headers timeout, the keep-alive timeout, the minimum request body data rate, and timers that fire early.
/// </summary>
public class HttpConnectionTimeoutTests
{
    [Fact]
    public async Task AnswersRequestTimeoutWhenTheHeadIsTooSlow()
    {
        await using var h = new ConnectionHarness(new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(5)));

        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");
        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(5));
        h.Time.Advance(TimeSpan.FromSeconds(6));

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
        h.Time.Advance(TimeSpan.FromSeconds(4));
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
        h.Time.Advance(TimeSpan.FromSeconds(11));

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
        h.Time.Advance(TimeSpan.FromSeconds(6));

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
        h.Time.Advance(TimeSpan.FromSeconds(6));

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
        h.Time.Advance(TimeSpan.FromSeconds(6));
        await h.SendAsync(new string('b', 300));

        var response = await h.Responses.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("/steady", Assert.Single(h.Handler.Requests).Target);
    }

    [Fact]
    public async Task EnforcesTheHeadersTimeoutWhenTheTimerFiresEarly()
    {
        // System timers run on a coarser clock than the timestamps the deadline is kept in, and fire up
        // to a few milliseconds early: the connection must wait for the rest, not give up on the deadline.
        await using var h = new ConnectionHarness(new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(5)));
        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");
        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(5));

        var rearmed = h.Time.NextArmAsync();
        h.Time.Advance(TimeSpan.FromMilliseconds(4997));
        h.Time.FireEarly();
        Assert.Equal(TimeSpan.FromMilliseconds(3), await rearmed);

        h.Time.Advance(TimeSpan.FromMilliseconds(3));
        AssertOpenAiError(await h.Responses.ReadResponseAsync(), 408);
        await h.Responses.AssertClosedAsync();
    }

    [Fact]
    public async Task IgnoresAStrayTimerCallbackBeforeTheDeadline()
    {
        await using var h = new ConnectionHarness(new HttpLimits(HeadersTimeout: TimeSpan.FromSeconds(5)));
        await h.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");
        await h.Time.WaitForArmAsync(TimeSpan.FromSeconds(5));

        var rearmed = h.Time.NextArmAsync();
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Time.FireEarly();
        Assert.Equal(TimeSpan.FromSeconds(4), await rearmed);

        await h.SendAsync("\r\n");
        Assert.Equal(200, (await h.Responses.ReadResponseAsync()).Status);
    }
}
