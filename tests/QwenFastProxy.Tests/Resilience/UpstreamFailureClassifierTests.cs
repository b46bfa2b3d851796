using System.Net.Sockets;
using System.Text;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Tests.Resilience;

public sealed class UpstreamFailureClassifierTests
{
    private const string RateLimitBody =
        """{"error":{"message":"Requests rate limit exceeded, please try again later.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"},"request_id":"00000000-0000-4000-8000-000000000001"}""";

    private const string QuotaBody =
        """{"error":{"code":"insufficient_quota","message":"Free allocated quota exceeded.","param":null,"type":"insufficient_quota"},"request_id":"00000000-0000-4000-8000-000000000002"}""";

    [Theory]
    [InlineData(200, UpstreamOutcome.Success)]
    [InlineData(201, UpstreamOutcome.Success)]
    [InlineData(204, UpstreamOutcome.Success)]
    [InlineData(304, UpstreamOutcome.Success)]
    [InlineData(400, UpstreamOutcome.ClientError)]
    [InlineData(404, UpstreamOutcome.ClientError)]
    [InlineData(408, UpstreamOutcome.ClientError)]
    [InlineData(413, UpstreamOutcome.ClientError)]
    [InlineData(422, UpstreamOutcome.ClientError)]
    [InlineData(401, UpstreamOutcome.AuthRejected)]
    [InlineData(403, UpstreamOutcome.AuthRejected)]
    [InlineData(429, UpstreamOutcome.RateLimited)]
    [InlineData(500, UpstreamOutcome.ServerError)]
    [InlineData(502, UpstreamOutcome.ServerError)]
    [InlineData(503, UpstreamOutcome.ServerError)]
    [InlineData(504, UpstreamOutcome.ServerError)]
    [InlineData(501, UpstreamOutcome.ServerErrorFinal)]
    [InlineData(505, UpstreamOutcome.ServerErrorFinal)]
    [InlineData(507, UpstreamOutcome.ServerErrorFinal)]
    [InlineData(511, UpstreamOutcome.ServerErrorFinal)]
    [InlineData(599, UpstreamOutcome.ServerErrorFinal)]
    [InlineData(0, UpstreamOutcome.InvalidResponse)]
    [InlineData(99, UpstreamOutcome.InvalidResponse)]
    [InlineData(600, UpstreamOutcome.InvalidResponse)]
    public void StatusWithoutABody(int status, UpstreamOutcome expected)
    {
        Assert.Equal(expected, UpstreamFailureClassifier.Classify(status, ReadOnlySpan<byte>.Empty));
    }

    public static TheoryData<int, string, UpstreamOutcome> Bodies => new()
    {
        { 429, RateLimitBody, UpstreamOutcome.RateLimited },
        { 429, QuotaBody, UpstreamOutcome.QuotaExhausted },
        { 403, QuotaBody, UpstreamOutcome.QuotaExhausted },
        { 403, """{"error":{"code":"AccessDenied","message":"Access denied."}}""", UpstreamOutcome.AuthRejected },
        // A 401 is the token provider's, whatever it says.
        { 401, QuotaBody, UpstreamOutcome.AuthRejected },
        // The message alone is enough: Qwen's free tier sometimes sends no code.
        { 429, """{"error":{"code":null,"message":"Free allocated quota exceeded."}}""", UpstreamOutcome.QuotaExhausted },
        { 429, """{"error":{"message":"FREE ALLOCATED QUOTA EXCEEDED"}}""", UpstreamOutcome.QuotaExhausted },
        { 429, """{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota"}}""", UpstreamOutcome.QuotaExhausted },
        { 429, """{"error":{"type":"insufficient_quota"}}""", UpstreamOutcome.QuotaExhausted },
        // An escaped message is unescaped before the search.
        { 429, """{"error":{"message":"Free allocated quota\u0020exceeded\u002E"}}""", UpstreamOutcome.QuotaExhausted },
        // Even when the word "quota" itself is escaped, in a code or a message.
        { 429, """{"error":{"code":"insufficient_\u0071uota"}}""", UpstreamOutcome.QuotaExhausted },
        { 429, """{"error":{"message":"Free allocated \u0071uota exceeded."}}""", UpstreamOutcome.QuotaExhausted },
        // DashScope's native shape: top-level code and message. On Qwen's plans "Allocated quota exceeded" is the
        // per-minute token limit, cleared within a minute: throttling (it was taken for billing before).
        { 429, """{"code":"Throttling.AllocationQuota","message":"Allocated quota exceeded, please increase your quota limit.","request_id":"x"}""", UpstreamOutcome.RateLimited },
        { 429, """{"code":"Throttling.AllocationQuota","message":"Free allocated quota exceeded.","request_id":"x"}""", UpstreamOutcome.QuotaExhausted },
        { 429, """{"error":{"code":"rate_limit_exceeded","message":"You exceeded your current quota, please check your plan.","type":"rate_limit_error"}}""", UpstreamOutcome.RateLimited },
        { 429, """{"code":"Throttling","message":"You exceeded your current quota, please check your plan."}""", UpstreamOutcome.RateLimited },
        // Billing codes, whatever the status and message: not retried.
        { 429, """{"code":"Arrearage","message":"Access denied, please make sure your account is in good standing."}""", UpstreamOutcome.QuotaExhausted },
        { 400, """{"code":"Arrearage","message":"Access denied, please make sure your account is in good standing."}""", UpstreamOutcome.QuotaExhausted },
        { 403, """{"error":{"code":"CommodityNotPurchased","message":"Commodity not purchased."}}""", UpstreamOutcome.QuotaExhausted },
        { 429, """{"error":{"code":"commoditynotpurchased","message":"x"}}""", UpstreamOutcome.QuotaExhausted },
        { 400, """{"error":{"code":"insufficient_quota","message":"You exceeded your current quota."}}""", UpstreamOutcome.QuotaExhausted },
        // A 403 worded as a quota stays unrenewed and unretried, as it was.
        { 403, """{"code":"Throttling.AllocationQuota","message":"Allocated quota exceeded, please increase your quota limit."}""", UpstreamOutcome.QuotaExhausted },
        // The wrong key for the host, the caller check, a misspelt model: the status decides.
        { 403, """{"error":{"code":"invalid_api_key","message":"invalid api-key"}}""", UpstreamOutcome.AuthRejected },
        { 405, """{"error":"Coding Plan is currently only available for Coding Agents"}""", UpstreamOutcome.ClientError },
        // Only 400, 403 and 429 read the body: a billing code under any other status changes nothing.
        { 401, """{"code":"Arrearage","message":"Access denied."}""", UpstreamOutcome.AuthRejected },
        { 503, """{"error":{"code":"insufficient_quota","message":"You exceeded your current quota."}}""", UpstreamOutcome.ServerError },
        { 200, """{"code":"Arrearage"}""", UpstreamOutcome.Success },
        { 400, """{"error":{"code":"invalid_parameter_error","message":"model 'Qwen3-Coder-Plus' is not supported"}}""", UpstreamOutcome.ClientError },
        // The error object wins over top-level members, whichever comes first.
        { 429, """{"code":"Arrearage","error":{"code":"rate_limit_exceeded","message":"slow down"}}""", UpstreamOutcome.RateLimited },
        { 429, """{"error":{"code":"Arrearage"},"code":"rate_limit_exceeded"}""", UpstreamOutcome.QuotaExhausted },
        // Malformed after the code: what was read before stands.
        { 429, """{"error":{"code":"Arrearage","message":}}""", UpstreamOutcome.QuotaExhausted },
        { 429, """{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded, please try again later.","request_id":"x"}""", UpstreamOutcome.RateLimited },
        // Members before the error object, nested values, white space.
        { 429, " \r\n {\"meta\":{\"a\":[1,2,{\"b\":\"quota exceeded\"}],\"c\":true},\"error\":{\"param\":null,\"code\":\"insufficient_quota\"}}", UpstreamOutcome.QuotaExhausted },
        // "quota" in some other member says nothing.
        { 429, """{"detail":"quota exceeded","error":{"code":"rate_limit_exceeded","message":"slow down"}}""", UpstreamOutcome.RateLimited },
        // Not JSON, broken JSON, or nothing: plain throttling.
        { 429, "<html><body>Too Many Requests</body></html>", UpstreamOutcome.RateLimited },
        { 429, """{"error":{"code":"insufficient""", UpstreamOutcome.RateLimited },
        { 429, """{"error":}""", UpstreamOutcome.RateLimited },
        { 429, "", UpstreamOutcome.RateLimited },
        { 429, "   ", UpstreamOutcome.RateLimited },
        { 429, "[1,2,3]", UpstreamOutcome.RateLimited },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void StatusWithABody(int status, string body, UpstreamOutcome expected)
    {
        Assert.Equal(expected, UpstreamFailureClassifier.Classify(status, Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void APrefixCutBeforeTheQuotaCodeSaysNothingAndOneCutAfterItIsEnough()
    {
        var body = Encoding.UTF8.GetBytes(QuotaBody);
        var codeEnd = QuotaBody.IndexOf("insufficient_quota", StringComparison.Ordinal) + "insufficient_quota\"".Length;

        for (var length = 0; length <= body.Length; length++)
        {
            var expected = length >= codeEnd ? UpstreamOutcome.QuotaExhausted : UpstreamOutcome.RateLimited;
            Assert.Equal(expected, UpstreamFailureClassifier.Classify(429, body.AsSpan(0, length)));
        }
    }

    public static TheoryData<Exception, UpstreamOutcome> Exceptions => new()
    {
        { new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"), UpstreamOutcome.ConnectFailure },
        { new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known"), UpstreamOutcome.ConnectFailure },
        { new HttpRequestException(HttpRequestError.SecureConnectionError, "TLS"), UpstreamOutcome.ConnectFailure },
        { new HttpRequestException(HttpRequestError.ProxyTunnelError, "proxy"), UpstreamOutcome.ConnectFailure },
        { new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."), UpstreamOutcome.ResetBeforeHeaders },
        { new HttpRequestException(HttpRequestError.HttpProtocolError, "RST_STREAM"), UpstreamOutcome.ResetBeforeHeaders },
        { new HttpRequestException(HttpRequestError.InvalidResponse, "garbage"), UpstreamOutcome.InvalidResponse },
        { new HttpRequestException(HttpRequestError.ConfigurationLimitExceeded, "headers too long"), UpstreamOutcome.InvalidResponse },
        { new HttpRequestException(HttpRequestError.VersionNegotiationError, "h2 only"), UpstreamOutcome.InvalidResponse },
        { new HttpRequestException(HttpRequestError.UserAuthenticationError, "ntlm"), UpstreamOutcome.InvalidResponse },
        // Unknown: the socket error, if any, tells a refused connection from a broken one.
        { new HttpRequestException("send failed", new IOException("reset", new SocketException((int)SocketError.ConnectionReset))), UpstreamOutcome.ResetBeforeHeaders },
        { new HttpRequestException("send failed", new SocketException((int)SocketError.ConnectionRefused)), UpstreamOutcome.ConnectFailure },
        { new HttpRequestException("send failed", new SocketException((int)SocketError.HostUnreachable)), UpstreamOutcome.ConnectFailure },
        { new HttpRequestException("send failed"), UpstreamOutcome.ResetBeforeHeaders },
        // SocketsHttpHandler's connect timeout: a cancellation wrapping a TimeoutException, not from our tokens.
        { new TaskCanceledException("connect", new TimeoutException("A connection could not be established within the configured ConnectTimeout.")), UpstreamOutcome.ConnectFailure },
        { new OperationCanceledException(), UpstreamOutcome.TimeoutBeforeHeaders },
        { new TimeoutException(), UpstreamOutcome.TimeoutBeforeHeaders },
        { new IOException("Unable to read data from the transport connection"), UpstreamOutcome.ResetBeforeHeaders },
        { new InvalidOperationException("unexpected"), UpstreamOutcome.InvalidResponse },
    };

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void ExceptionsBeforeTheFirstByte(Exception exception, UpstreamOutcome expected)
    {
        Assert.Equal(expected, UpstreamFailureClassifier.Classify(exception, false, CancellationToken.None, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void TheClientLeavingWinsOverEverything(Exception exception, UpstreamOutcome _)
    {
        using var client = new CancellationTokenSource();
        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(client.Token);
        client.Cancel();

        Assert.Equal(UpstreamOutcome.ClientGone, UpstreamFailureClassifier.Classify(exception, false, client.Token, exchange.Token));
        Assert.Equal(UpstreamOutcome.ClientGone, UpstreamFailureClassifier.Classify(exception, true, client.Token, exchange.Token));
    }

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void AfterTheFirstByteNothingElseMatters(Exception exception, UpstreamOutcome _)
    {
        using var exchange = new CancellationTokenSource();
        exchange.Cancel();

        Assert.Equal(UpstreamOutcome.AfterFirstByte, UpstreamFailureClassifier.Classify(exception, true, CancellationToken.None, CancellationToken.None));
        Assert.Equal(UpstreamOutcome.AfterFirstByte, UpstreamFailureClassifier.Classify(exception, true, CancellationToken.None, exchange.Token));
    }

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void OurDeadlinePassingMakesAnyFailureATimeout(Exception exception, UpstreamOutcome _)
    {
        using var exchange = new CancellationTokenSource();
        exchange.Cancel();

        Assert.Equal(UpstreamOutcome.TimeoutBeforeHeaders, UpstreamFailureClassifier.Classify(exception, false, CancellationToken.None, exchange.Token));
    }

    [Fact]
    public void ClassifyingA429BodyAllocatesNothing()
    {
        var rate = Encoding.UTF8.GetBytes(RateLimitBody);
        var quota = Encoding.UTF8.GetBytes("""{"error":{"message":"Free allocated quota\u0020exceeded."}}""");
        UpstreamFailureClassifier.Classify(429, rate);
        UpstreamFailureClassifier.Classify(429, quota);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            UpstreamFailureClassifier.Classify(429, rate);
            UpstreamFailureClassifier.Classify(429, quota);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
