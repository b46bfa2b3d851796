using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using QwenFastProxy.Auth;
using QwenFastProxy.Cli;
using QwenFastProxy.Cli.Commands;

namespace QwenFastProxy.IntegrationTests.Auth;

/// <summary>The device login against the simulated Qwen OAuth server over loopback.</summary>
public sealed partial class DeviceLoginTests
{
    private static readonly TimeSpan Bound = OAuthHarness.Bound;

    [Theory]
    [InlineData(429)]
    [InlineData(400)]
    public async Task TheWholeLoginWithSlowDownGivesTokensThatWork(int slowDownStatus)
    {
        await using var harness = await OAuthHarness.StartAsync(fastForwardClock: true);
        harness.OAuth.Options.SlowDownResponses = 2;
        harness.OAuth.Options.SlowDownStatusCode = slowDownStatus;
        harness.OAuth.Options.AutoApproveAfterPolls = 4;
        var display = new RecordingDisplay();

        var credentials = await Login(harness).RunAsync(display, CancellationToken.None).WaitAsync(Bound);

        // Polls 2 s after the code, then 3 s and 4.5 s after each slow_down, then 4.5 s again.
        var polls = harness.OAuth.PollTimes;
        var start = polls[0] - TimeSpan.FromSeconds(2);
        Assert.Equal([2, 5, 9.5, 14], polls.Select(p => (p - start).TotalSeconds));
        Assert.Equal([3, 4.5], display.SlowDowns.Select(s => s.TotalSeconds));
        Assert.Matches("^[A-Z]{4}-[A-Z]{4}$", display.Authorization!.UserCode);
        Assert.StartsWith(harness.OAuthBaseUrl + "/authorize?user_code=", display.Authorization.VerificationUrl, StringComparison.Ordinal);
        Assert.Equal(1, harness.OAuth.LoginCount);
        Assert.True(harness.OAuth.IsAccessTokenValid(credentials.AccessToken));
        Assert.NotNull(credentials.RefreshToken);
        Assert.Equal(harness.OAuthBaseUrl, credentials.ResourceUrl);
        Assert.Equal(harness.Clock.GetUtcNow() + OAuthHarness.TokenLifetime, credentials.ExpiryDate);
    }

    [Fact]
    public async Task ApprovingThroughTheVerificationUrlCompletesTheLogin()
    {
        await using var harness = await OAuthHarness.StartAsync();
        var display = new RecordingDisplay();
        var login = Login(harness).RunAsync(display, CancellationToken.None);

        var authorization = await display.Started.Task.WaitAsync(Bound);
        await harness.Clock.WaitForTimerAsync().WaitAsync(Bound);
        harness.Clock.Advance(TimeSpan.FromSeconds(2));
        await harness.Clock.WaitForTimerAsync().WaitAsync(Bound); // the pending poll is answered and the next wait begins
        Assert.False(login.IsCompleted);
        Assert.Single(harness.OAuth.PollTimes);

        using var browser = new HttpClient { Timeout = Bound };
        using var page = await browser.GetAsync(authorization.VerificationUrl); // the user's click
        harness.Clock.Advance(TimeSpan.FromSeconds(2));
        var credentials = await login.WaitAsync(Bound);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("approved", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(harness.OAuth.IsAccessTokenValid(credentials.AccessToken));
        Assert.Equal(2, harness.OAuth.PollTimes.Count);
    }

    [Fact]
    public async Task AnUnapprovedCodeEndsTheLoginAtExpiry()
    {
        await using var harness = await OAuthHarness.StartAsync(fastForwardClock: true);
        harness.OAuth.Options.DeviceCodeLifetime = TimeSpan.FromSeconds(20);
        var display = new RecordingDisplay();

        var ex = await Assert.ThrowsAsync<OAuthException>(() => Login(harness).RunAsync(display, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("not approved within 20 s", ex.Message, StringComparison.Ordinal);
        Assert.Contains("qwenfastproxy login", ex.Message, StringComparison.Ordinal);
        Assert.Equal(9, harness.OAuth.PollTimes.Count); // every 2 s until 18 s; the wait to 20 s ends it
        Assert.Equal(0, harness.OAuth.LoginCount);
    }

    [Fact]
    public async Task TheServersExpiredTokenAnswerEndsTheLogin()
    {
        await using var harness = await OAuthHarness.StartAsync(fastForwardClock: true);
        var display = new RecordingDisplay { OnStarted = a => harness.OAuth.Expire(a.UserCode) };

        var ex = await Assert.ThrowsAsync<OAuthException>(() => Login(harness).RunAsync(display, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("expired_token", ex.Message, StringComparison.Ordinal);
        Assert.Single(harness.OAuth.PollTimes);
    }

    [Fact]
    public async Task ADeniedLoginSaysSo()
    {
        await using var harness = await OAuthHarness.StartAsync(fastForwardClock: true);
        var display = new RecordingDisplay { OnStarted = a => harness.OAuth.Deny(a.UserCode) };

        var ex = await Assert.ThrowsAsync<OAuthException>(() => Login(harness).RunAsync(display, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("denied", ex.Message, StringComparison.Ordinal);
        Assert.Contains("access_denied", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSimulatorVerifiesPkce()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.OAuth.Options.AutoApproveAfterPolls = 1;
        using var http = new HttpClient { Timeout = Bound };
        var verifier = Pkce.CreateVerifier();

        using var device = await http.PostAsync(harness.OAuthBaseUrl + QwenOAuthProtocol.DeviceCodePath, Form(
            ("client_id", QwenOAuthProtocol.ClientId), ("scope", QwenOAuthProtocol.Scope),
            ("code_challenge", Pkce.ChallengeOf(verifier)), ("code_challenge_method", "S256")));
        var deviceCode = DeviceCodePattern().Match(await device.Content.ReadAsStringAsync()).Groups[1].Value;
        using var wrong = await Poll(Pkce.CreateVerifier());
        using var right = await Poll(verifier);
        using var noPkce = await http.PostAsync(harness.OAuthBaseUrl + QwenOAuthProtocol.DeviceCodePath, Form(
            ("client_id", QwenOAuthProtocol.ClientId), ("scope", QwenOAuthProtocol.Scope)));

        Assert.Equal(HttpStatusCode.OK, device.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("PKCE", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("access_token", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noPkce.StatusCode);

        Task<HttpResponseMessage> Poll(string codeVerifier) => http.PostAsync(harness.OAuthBaseUrl + QwenOAuthProtocol.TokenPath, Form(
            ("grant_type", QwenOAuthProtocol.DeviceCodeGrant), ("client_id", QwenOAuthProtocol.ClientId),
            ("device_code", deviceCode), ("code_verifier", codeVerifier)));
    }

    [Fact]
    public async Task LoginCommandSavesA0600FileAndExits0()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.OAuth.Options.PollInterval = TimeSpan.FromMilliseconds(20); // the CLI polls on the real clock
        harness.OAuth.Options.AutoApproveAfterPolls = 2;
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await ProxyCli.RunAsync(["login"], Env(harness), stdout, stderr).WaitAsync(Bound);

        Assert.True(code == 0, stderr.ToString());
        var text = stdout.ToString();
        Assert.Contains(harness.OAuthBaseUrl + "/authorize?user_code=", text, StringComparison.Ordinal);
        Assert.Matches("Code: [A-Z]{4}-[A-Z]{4}", text);
        Assert.Contains("█", text, StringComparison.Ordinal);
        Assert.Contains("Waiting for approval", text, StringComparison.Ordinal);
        Assert.Contains("Logged in. Credentials saved to " + harness.CredsPath, text, StringComparison.Ordinal);
        Assert.Contains("API base: " + harness.OAuthBaseUrl + "/v1", text, StringComparison.Ordinal);

        Assert.Equal(CredentialsFile.ReadStatus.Ok, new CredentialsStore(harness.CredsPath).TryRead(out var saved, out _));
        Assert.DoesNotContain(saved!.AccessToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(saved.RefreshToken!, text, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(harness.CredsPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, Mode(Path.GetDirectoryName(harness.CredsPath)!));
        Assert.False(File.Exists(harness.CredsPath + ".lock"));
    }

    [Fact]
    public async Task AFailedLoginExits1AndSavesNothing()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.OAuth.Options.PollInterval = TimeSpan.FromMilliseconds(20);
        harness.OAuth.Options.DeviceCodeLifetime = TimeSpan.FromSeconds(30);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var run = ProxyCli.RunAsync(["login"], Env(harness), stdout, stderr);
        var userCode = await harness.OAuth.NextUserCodeAsync().WaitAsync(Bound);
        harness.OAuth.Deny(userCode);

        var code = await run.WaitAsync(Bound);

        Assert.Equal(1, code);
        Assert.Contains("login failed", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("denied", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(harness.CredsPath));
    }

    [Fact]
    public async Task ServeLogsInFirstWhenAPersonIsThereAndThenServes()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.OAuth.Options.PollInterval = TimeSpan.FromMilliseconds(20);
        harness.OAuth.Options.AutoApproveAfterPolls = 1;
        harness.OAuth.Options.Time = TimeProvider.System; // the served proxy runs on the real clock
        using var stop = new CancellationTokenSource();
        var stdout = new SignallingWriter("Point your OpenAI client at ");
        var run = ProxyCli.RunAsync(["--port", "0"], Env(harness), stdout, new StringWriter(), new ConsoleInfo(InputIsTerminal: true, OutputIsTerminal: false), stop.Token);

        var banner = await stdout.Seen.WaitAsync(Bound);
        var baseUrl = UrlPattern().Match(banner).Value;
        using var client = new HttpClient { Timeout = Bound };
        using var response = await client.PostAsync(baseUrl + "/chat/completions",
            new StringContent("""{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        await stop.CancelAsync();
        var code = await run.WaitAsync(Bound);

        Assert.Contains("logging in first", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, code);
        Assert.True(File.Exists(harness.CredsPath));
    }

    [Fact]
    public async Task ServeWithARejectedLoginAndNoTerminalExits1AndSaysToLogIn()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.SaveLogin(); // expired by the real clock the CLI runs on, so serving starts with a refresh
        harness.OAuth.Options.RejectRefreshes = true;
        var stderr = new StringWriter();

        var code = await ProxyCli.RunAsync(["--port", "0"], Env(harness), new StringWriter(), stderr).WaitAsync(Bound);

        Assert.Equal(1, code);
        Assert.Contains("refresh token was rejected", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("qwenfastproxy login", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(harness.CredsPath));
    }

    [Fact]
    public async Task StatusAndLogoutWorkOnASavedLogin()
    {
        await using var harness = await OAuthHarness.StartAsync();
        var saved = harness.SaveLogin();
        var stdout = new StringWriter();

        var status = await ProxyCli.RunAsync(["status"], Env(harness), stdout, new StringWriter()).WaitAsync(Bound);
        var logout = await ProxyCli.RunAsync(["logout"], Env(harness), new StringWriter(), new StringWriter()).WaitAsync(Bound);

        Assert.Equal(0, status);
        Assert.Contains("Refresh token: present", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("API base: " + harness.OAuthBaseUrl + "/v1", stdout.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(saved.AccessToken, stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, logout);
        Assert.False(File.Exists(harness.CredsPath));
        Assert.False(File.Exists(harness.CredsPath + ".lock"));
    }

    private static DeviceFlowLogin Login(OAuthHarness harness)
    {
        var http = new HttpMessageInvoker(new SocketsHttpHandler());
        return new DeviceFlowLogin(
            new DeviceAuthorizationClient(http, harness.OAuthBaseUrl), new OAuthTokenClient(http, harness.OAuthBaseUrl), harness.Clock);
    }

    /// <summary>The permission bits (tests run as root, where access checks pass anyway: the bits are what counts).</summary>
    internal static UnixFileMode Mode(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException() : File.GetUnixFileMode(path);

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));

    private static Func<string, string?> Env(OAuthHarness harness) => name => name switch
    {
        "HOME" => harness.Home,
        "QWEN_CREDS_PATH" => harness.CredsPath,
        "QWEN_OAUTH_BASE_URL" => harness.OAuthBaseUrl,
        _ => null,
    };

    [GeneratedRegex("\"device_code\":\"([^\"]+)\"")]
    private static partial Regex DeviceCodePattern();

    [GeneratedRegex(@"http://[0-9.]+:[0-9]+/v1")]
    private static partial Regex UrlPattern();

    private sealed class RecordingDisplay : ILoginDisplay
    {
        public TaskCompletionSource<DeviceAuthorization> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public DeviceAuthorization? Authorization { get; private set; }

        public Action<DeviceAuthorization>? OnStarted { get; init; }

        public List<TimeSpan> SlowDowns { get; } = [];

        public void AuthorizationStarted(DeviceAuthorization authorization, DateTimeOffset deadline)
        {
            Authorization = authorization;
            OnStarted?.Invoke(authorization);
            Started.TrySetResult(authorization);
        }

        public void PollingSlowedDown(TimeSpan interval) => SlowDowns.Add(interval);

        public void PollFailed(string message)
        {
        }

        public void PollingEnded()
        {
        }
    }

    /// <summary>Completes <see cref="Seen"/> with the first line containing a marker.</summary>
    private sealed class SignallingWriter(string marker) : StringWriter
    {
        private readonly TaskCompletionSource<string> _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> Seen => _seen.Task;

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(marker, StringComparison.Ordinal) == true)
            {
                _seen.TrySetResult(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
