using System.Net;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Auth;

namespace QwenFastProxy.IntegrationTests.Auth;

/// <summary>Real proxies refreshing OAuth tokens against the simulated Qwen, on a clock the test moves.</summary>
public sealed class TokenRefreshTests
{
    private const string ChatBody = """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}""";
    private const string StreamBody = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private static readonly TimeSpan Bound = OAuthHarness.Bound;

    [Fact]
    public async Task ConcurrentRequestsAcrossATokenExpiryMakeExactlyOneRefresh()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.SaveLogin();
        var proxy = await harness.StartProxyAsync();
        using var client = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await Chat(client)).Status);

        harness.Clock.Advance(OAuthHarness.TokenLifetime + TimeSpan.FromSeconds(1)); // the token is dead at the simulator too
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Chat(client, stream: i % 2 == 0))).WaitAsync(Bound);

        Assert.All(results, r => Assert.True(r.Status == HttpStatusCode.OK, r.Body));
        Assert.Equal(1, harness.OAuth.RefreshCount);
        Assert.Equal(1, proxy.Provider.RefreshCount);
        AssertFileHolds(harness, proxy.Provider.Current);
    }

    [Fact]
    public async Task ServesAcrossSeveralTokenLifetimesWithoutAClientVisibleFailure()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.SaveLogin();
        var proxy = await harness.StartProxyAsync();
        using var client = proxy.CreateClient();

        for (var lifetime = 1; lifetime <= 5; lifetime++)
        {
            // Into the refresh margin: the old token still serves while one refresh runs behind it.
            harness.Clock.Advance(TimeSpan.FromMinutes(35));
            var during = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Chat(client, stream: i % 2 == 1))).WaitAsync(Bound);
            await proxy.Provider.RefreshInFlight.WaitAsync(Bound);
            var after = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Chat(client, stream: i % 2 == 1))).WaitAsync(Bound);

            Assert.All(during.Concat(after), r => Assert.True(r.Status == HttpStatusCode.OK, r.Body));
            Assert.Equal(lifetime, harness.OAuth.RefreshCount);
        }

        // And across an expiry nobody refreshed ahead of (an idle proxy).
        harness.Clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal(HttpStatusCode.OK, (await Chat(client)).Status);
        Assert.Equal(6, harness.OAuth.RefreshCount);
        Assert.True(proxy.Provider.IsReady(out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A401MidLifeCausesOneRefreshAndASuccessfulRetry(bool stream)
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.SaveLogin();
        var proxy = await harness.StartProxyAsync();
        using var client = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await Chat(client)).Status);
        harness.Simulator.Requests.Clear();

        harness.OAuth.RevokeAccessTokens(); // the server forgets the token long before its expiry
        var result = await Chat(client, stream);

        Assert.True(result.Status == HttpStatusCode.OK, result.Body);
        Assert.Contains(stream ? "data: [DONE]" : "chat.completion", result.Body, StringComparison.Ordinal);
        Assert.Equal(1, harness.OAuth.RefreshCount);
        var chats = harness.Simulator.Requests.Snapshot().Where(r => r.Path == "/v1/chat/completions").ToArray();
        Assert.Equal(2, chats.Length); // the refused attempt and the retry, with the new token
        Assert.NotEqual(chats[0].Headers["Authorization"], chats[1].Headers["Authorization"]);
        Assert.Equal(chats[0].Body, chats[1].Body);
        Assert.Equal("Bearer " + proxy.Provider.Current.AccessToken, chats[1].Headers["Authorization"]);
    }

    [Fact]
    public async Task ManyRequestsRefusedTogetherShareOneRefresh()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.SaveLogin();
        var proxy = await harness.StartProxyAsync();
        using var client = proxy.CreateClient();

        harness.OAuth.RevokeAccessTokens();
        var results = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Chat(client, stream: i % 3 == 0))).WaitAsync(Bound);

        Assert.All(results, r => Assert.True(r.Status == HttpStatusCode.OK, r.Body));
        Assert.Equal(1, harness.OAuth.RefreshCount);
    }

    [Fact]
    public async Task ARejectedRefreshMeansNotReadyAnd401ForChatWhileEverythingElseIsServedUntilTheNextLogin()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.SaveLogin();
        var proxy = await harness.StartProxyAsync();
        using var client = proxy.CreateClient();
        harness.OAuth.Options.RejectRefreshes = true;
        harness.Clock.Advance(OAuthHarness.TokenLifetime + TimeSpan.FromSeconds(1));

        var chat = await Chat(client);
        var streamed = await Chat(client, stream: true);
        using var ready = await client.GetAsync("/readyz");
        using var health = await client.GetAsync("/healthz");
        using var models = await client.GetAsync("models");

        Assert.Equal(HttpStatusCode.Unauthorized, chat.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, streamed.Status);
        using (var error = JsonDocument.Parse(chat.Body))
        {
            var body = error.RootElement.GetProperty("error");
            Assert.Equal("login_required", body.GetProperty("code").GetString());
            Assert.Contains("run `qwenfastproxy login`", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var readiness = await ready.Content.ReadAsStringAsync();
        Assert.Contains("not_ready", readiness, StringComparison.Ordinal);
        Assert.Contains("qwenfastproxy login", readiness, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Equal(1, harness.OAuth.RefreshRequestCount); // rejected once, not retried per request
        Assert.False(File.Exists(harness.CredsPath));

        // `qwenfastproxy login` in another terminal: the running proxy picks the new file up.
        harness.OAuth.Options.RejectRefreshes = false;
        harness.SaveLogin();
        harness.Clock.Advance(TimeSpan.FromSeconds(1));
        using var readyAgain = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, readyAgain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Chat(client)).Status);
    }

    [Fact]
    public async Task TwoProxiesSharingOneFileNeitherTearItNorRefreshTwice()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.SaveLogin();
        var first = await harness.StartProxyAsync();
        var second = await harness.StartProxyAsync();
        using var firstClient = first.CreateClient();
        using var secondClient = second.CreateClient();

        for (var round = 1; round <= 4; round++)
        {
            harness.Clock.Advance(OAuthHarness.TokenLifetime + TimeSpan.FromSeconds(1));
            var results = await Task.WhenAll(Enumerable.Range(0, 20)
                .Select(i => Chat(i % 2 == 0 ? firstClient : secondClient, stream: i % 4 < 2))).WaitAsync(Bound);

            Assert.All(results, r => Assert.True(r.Status == HttpStatusCode.OK, r.Body));
            Assert.Equal(round, harness.OAuth.RefreshCount); // one refresh per expiry, whichever proxy made it
            Assert.Equal(round, harness.OAuth.RefreshRequestCount); // and no second, refused attempt with a used token
            Assert.Equal(first.Provider.Current.AccessToken, second.Provider.Current.AccessToken);
            AssertFileHolds(harness, first.Provider.Current);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, DeviceLoginTests.Mode(harness.CredsPath));
        }

        Assert.Equal(4, first.Provider.RefreshCount + second.Provider.RefreshCount);
    }

    [Fact]
    public async Task InApiKeyModeAnUpstream401IsPassedOnWithoutARetry()
    {
        await using var harness = await Infrastructure.ProxyHarness.StartAsync(o => o with { ApiKey = "sk-wrong" });
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", new StringContent(ChatBody, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_api_key", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, harness.Simulator.Requests.Count);
    }

    private static void AssertFileHolds(OAuthHarness harness, QwenCredentials expected)
    {
        Assert.Equal(CredentialsFile.ReadStatus.Ok, new CredentialsStore(harness.CredsPath).TryRead(out var saved, out var message));
        Assert.True(saved == expected, message);
    }

    private static async Task<(HttpStatusCode Status, string Body)> Chat(HttpClient client, bool stream = false)
    {
        using var response = await client.PostAsync("chat/completions", new StringContent(stream ? StreamBody : ChatBody, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
