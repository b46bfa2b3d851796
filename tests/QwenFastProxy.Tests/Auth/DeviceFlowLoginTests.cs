using System.Net;
using QwenFastProxy.Auth;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.Tests.Auth;

public sealed class DeviceFlowLoginTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private const string DeviceCodeJson = """
        {"device_code":"dev-1","user_code":"ABCD-EFGH","verification_uri":"https://chat.example/authorize","verification_uri_complete":"https://chat.example/authorize?user_code=ABCD-EFGH&client=qwen-code","expires_in":600}
        """;

    private const string TokenJson = """
        {"access_token":"at-1","refresh_token":"rt-1","token_type":"Bearer","expires_in":3600,"resource_url":"portal.qwen.ai"}
        """;

    [Fact]
    public async Task PollsUntilApprovedAndSendsQwenCodesFieldsWithAMatchingPkcePair()
    {
        var polls = 0;
        var handler = new ScriptedHttpHandler(r => r.Path.EndsWith("/device/code", StringComparison.Ordinal)
            ? ScriptedHttpHandler.Json(HttpStatusCode.OK, DeviceCodeJson)
            : ++polls < 3 ? ScriptedHttpHandler.Error(HttpStatusCode.BadRequest, "authorization_pending") : ScriptedHttpHandler.Json(HttpStatusCode.OK, TokenJson));
        var (login, time, display) = Create(handler);

        var credentials = await login.RunAsync(display, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal("at-1", credentials.AccessToken);
        Assert.Equal("rt-1", credentials.RefreshToken);
        Assert.Equal("portal.qwen.ai", credentials.ResourceUrl);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromHours(1), credentials.ExpiryDate);
        Assert.Equal(Start + TimeSpan.FromSeconds(6), time.GetUtcNow()); // three polls, 2 s apart

        var requests = handler.Requests;
        var device = requests[0];
        Assert.Equal("/api/v1/oauth2/device/code", device.Path);
        Assert.Equal("f0304373b74a44d2b584a3fb70ca9e56", device.Form["client_id"]);
        Assert.Equal("openid profile email model.completion", device.Form["scope"]);
        Assert.Equal("S256", device.Form["code_challenge_method"]);
        Assert.Contains("application/json", device.Accept, StringComparison.Ordinal);
        Assert.All(requests.Skip(1), poll =>
        {
            Assert.Equal("/api/v1/oauth2/token", poll.Path);
            Assert.Equal("urn:ietf:params:oauth:grant-type:device_code", poll.Grant);
            Assert.Equal("dev-1", poll.Form["device_code"]);
            Assert.Equal("f0304373b74a44d2b584a3fb70ca9e56", poll.Form["client_id"]);
            Assert.Equal(device.Form["code_challenge"], Pkce.ChallengeOf(poll.Form["code_verifier"]));
        });
        Assert.Equal(1, display.Started);
        Assert.Equal(1, display.Ended);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.BadRequest)]
    public async Task SlowDownStretchesTheIntervalByHalfUpToTenSeconds(HttpStatusCode status)
    {
        var polls = 0;
        var handler = new ScriptedHttpHandler(r => r.Path.EndsWith("/device/code", StringComparison.Ordinal)
            ? ScriptedHttpHandler.Json(HttpStatusCode.OK, DeviceCodeJson)
            : ++polls <= 5 ? ScriptedHttpHandler.Error(status, "slow_down") : ScriptedHttpHandler.Json(HttpStatusCode.OK, TokenJson));
        var (login, time, display) = Create(handler);

        await login.RunAsync(display, CancellationToken.None).WaitAsync(Bound);

        // Waits: 2 (first), then 3, 4.5, 6.75, 10, 10 after each slow_down.
        Assert.Equal(Start + TimeSpan.FromSeconds(2 + 3 + 4.5 + 6.75 + 10 + 10), time.GetUtcNow());
        Assert.Equal([3, 4.5, 6.75, 10, 10], display.SlowDowns.Select(i => i.TotalSeconds));
    }

    [Fact]
    public async Task ABare429CountsAsSlowDown()
    {
        var polls = 0;
        var handler = new ScriptedHttpHandler(r => r.Path.EndsWith("/device/code", StringComparison.Ordinal)
            ? ScriptedHttpHandler.Json(HttpStatusCode.OK, DeviceCodeJson)
            : ++polls == 1 ? new HttpResponseMessage(HttpStatusCode.TooManyRequests) : ScriptedHttpHandler.Json(HttpStatusCode.OK, TokenJson));
        var (login, _, display) = Create(handler);

        await login.RunAsync(display, CancellationToken.None).WaitAsync(Bound);

        Assert.Single(display.SlowDowns);
    }

    [Fact]
    public async Task TheServersIntervalIsUsed()
    {
        var handler = new ScriptedHttpHandler(r => r.Path.EndsWith("/device/code", StringComparison.Ordinal)
            ? ScriptedHttpHandler.Json(HttpStatusCode.OK, DeviceCodeJson.Replace("\"expires_in\":600", "\"expires_in\":600,\"interval\":5", StringComparison.Ordinal))
            : ScriptedHttpHandler.Json(HttpStatusCode.OK, TokenJson));
        var (login, time, display) = Create(handler);

        await login.RunAsync(display, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(Start + TimeSpan.FromSeconds(5), time.GetUtcNow());
    }

    [Theory]
    [InlineData("expired_token", "expired")]
    [InlineData("access_denied", "denied")]
    [InlineData("invalid_grant", "refused")]
    public async Task TerminalErrorsStopWithAClearMessage(string error, string expected)
    {
        var handler = new ScriptedHttpHandler(r => r.Path.EndsWith("/device/code", StringComparison.Ordinal)
            ? ScriptedHttpHandler.Json(HttpStatusCode.OK, DeviceCodeJson)
            : ScriptedHttpHandler.Error(HttpStatusCode.BadRequest, error));
        var (login, _, display) = Create(handler);

        var ex = await Assert.ThrowsAsync<OAuthException>(() => login.RunAsync(display, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
        Assert.Contains("qwenfastproxy login", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("dev-1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal(1, display.Ended);
    }

    [Fact]
    public async Task GivesUpAtExpiresIn()
    {
        var handler = new ScriptedHttpHandler(r => r.Path.EndsWith("/device/code", StringComparison.Ordinal)
            ? ScriptedHttpHandler.Json(HttpStatusCode.OK, DeviceCodeJson.Replace("600", "9", StringComparison.Ordinal))
            : ScriptedHttpHandler.Error(HttpStatusCode.BadRequest, "authorization_pending"));
        var (login, time, display) = Create(handler);

        var ex = await Assert.ThrowsAsync<OAuthException>(() => login.RunAsync(display, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("not approved within 9 s", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Start + TimeSpan.FromSeconds(9), time.GetUtcNow());
        Assert.Equal(1 + 4, handler.Requests.Count); // polls at 2, 4, 6, 8 s; the wait to 9 s ends the login
    }

    [Fact]
    public async Task PassingServerTroubleIsRetriedButNotForever()
    {
        var handler = new ScriptedHttpHandler(r => r.Path.EndsWith("/device/code", StringComparison.Ordinal)
            ? ScriptedHttpHandler.Json(HttpStatusCode.OK, DeviceCodeJson)
            : new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        var (login, _, display) = Create(handler);

        var ex = await Assert.ThrowsAsync<OAuthException>(() => login.RunAsync(display, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("failed 5 times in a row", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, display.Failures);
    }

    [Fact]
    public async Task ARefusedDeviceCodeRequestSaysSo()
    {
        var handler = new ScriptedHttpHandler(_ => ScriptedHttpHandler.Error(HttpStatusCode.BadRequest, "invalid_client"));
        var (login, _, display) = Create(handler);

        var ex = await Assert.ThrowsAsync<OAuthException>(() => login.RunAsync(display, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("invalid_client", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, display.Started);
    }

    [Fact]
    public void TheVerificationUrlFallsBackToTheBaseUriWithUserCodeAndClient()
    {
        var authorization = new DeviceAuthorization("d", "AB CD", "https://chat.example/authorize", null, TimeSpan.FromMinutes(5), null);

        Assert.Equal("https://chat.example/authorize?user_code=AB%20CD&client=qwen-code", authorization.VerificationUrl);
        Assert.DoesNotContain("d,", authorization.ToString(), StringComparison.Ordinal);
    }

    private static (DeviceFlowLogin Login, TestClock Time, RecordingDisplay Display) Create(ScriptedHttpHandler handler)
    {
        var time = new TestClock(Start, fastForward: true);
        var http = new HttpMessageInvoker(handler);
        var login = new DeviceFlowLogin(
            new DeviceAuthorizationClient(http, "https://chat.example"), new OAuthTokenClient(http, "https://chat.example"), time);
        return (login, time, new RecordingDisplay());
    }

    private sealed class RecordingDisplay : ILoginDisplay
    {
        public int Started { get; private set; }

        public int Ended { get; private set; }

        public int Failures { get; private set; }

        public List<TimeSpan> SlowDowns { get; } = [];

        public void AuthorizationStarted(DeviceAuthorization authorization, DateTimeOffset deadline) => Started++;

        public void PollingSlowedDown(TimeSpan interval) => SlowDowns.Add(interval);

        public void PollFailed(string message) => Failures++;

        public void PollingEnded() => Ended++;
    }
}
