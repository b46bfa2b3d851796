using System.Net;
using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Auth;

namespace QwenFastProxy.Tests.Auth;

public sealed class OAuthTokenProviderTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _root = Directory.CreateTempSubdirectory("qfp-provider-").FullName;
    private readonly FakeTimeProvider _time = new(Start);
    private readonly CredentialsStore _store;
    private int _issued;

    public OAuthTokenProviderTests() => _store = new CredentialsStore(Path.Combine(_root, "creds.json"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private QwenCredentials Saved(TimeSpan lifetime, string accessToken = "at-0", string? refreshToken = "rt-0", string? resourceUrl = "portal.qwen.ai")
    {
        var credentials = new QwenCredentials(accessToken, "Bearer", refreshToken, resourceUrl, _time.GetUtcNow() + lifetime);
        _store.Write(credentials);
        return credentials;
    }

    private HttpResponseMessage Refreshed(bool withRefreshToken = true, string? resourceUrl = null)
    {
        var n = Interlocked.Increment(ref _issued);
        var refresh = withRefreshToken ? $"\"refresh_token\":\"rt-{n}\"," : "";
        var resource = resourceUrl is null ? "" : $"\"resource_url\":\"{resourceUrl}\",";
        return ScriptedHttpHandler.Json(HttpStatusCode.OK, $$"""{"access_token":"at-{{n}}",{{refresh}}{{resource}}"token_type":"Bearer","expires_in":7200}""");
    }

    private OAuthTokenProvider Provider(ScriptedHttpHandler handler, QwenCredentials initial, TimeSpan? margin = null, string? forcedBase = null) =>
        new(_store,
            new OAuthTokenClient(new HttpMessageInvoker(handler), "https://chat.example"),
            initial,
            new OAuthTokenProviderOptions { RefreshMargin = margin ?? TimeSpan.FromMinutes(30), ForcedBaseUrl = forcedBase },
            logger: null,
            _time);

    private static int RefreshCalls(ScriptedHttpHandler handler) => handler.Requests.Count(r => r.Grant == "refresh_token");

    [Fact]
    public async Task AValidTokenIsAMemoryReadWithNoRefresh()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed());
        using var provider = Provider(handler, Saved(TimeSpan.FromHours(2)));

        var first = provider.GetAsync(CancellationToken.None).AsTask();
        var second = provider.GetAsync(CancellationToken.None).AsTask();

        Assert.True(first.IsCompletedSuccessfully); // no await needed: the hot path completes synchronously
        Assert.True(second.IsCompletedSuccessfully);
        Assert.Same(await first, await second);
        Assert.Equal("Bearer at-0", (await first).Authorization);
        Assert.Equal("https://portal.qwen.ai/v1", (await first).BaseUrl);
        Assert.True(provider.IsReady(out _));
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task ManyConcurrentCallersAcrossExpiryShareOneRefresh()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHttpHandler(async _ =>
        {
            await release.Task;
            return Refreshed();
        });
        using var provider = Provider(handler, Saved(TimeSpan.FromHours(2)));
        _time.Advance(TimeSpan.FromHours(2) + TimeSpan.FromSeconds(1));

        var callers = Enumerable.Range(0, 200).Select(_ => provider.GetAsync(CancellationToken.None).AsTask()).ToArray();
        Assert.All(callers, c => Assert.False(c.IsCompleted)); // an expired token: everyone waits for the refresh
        release.SetResult();
        var results = await Task.WhenAll(callers).WaitAsync(Bound);

        Assert.Equal(1, RefreshCalls(handler));
        Assert.All(results, r => Assert.Equal("Bearer at-1", r.Authorization));
        Assert.Equal(1, provider.RefreshCount);
        Assert.Equal(CredentialsFile.ReadStatus.Ok, _store.TryRead(out var saved, out _));
        Assert.Equal("at-1", saved!.AccessToken);
        Assert.Equal("rt-1", saved.RefreshToken);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromHours(2), saved.ExpiryDate);
    }

    [Fact]
    public async Task WithinTheMarginTheOldTokenServesWhileOneBackgroundRefreshRuns()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHttpHandler(async _ =>
        {
            await release.Task;
            return Refreshed();
        });
        using var provider = Provider(handler, Saved(TimeSpan.FromHours(2)));
        _time.Advance(TimeSpan.FromMinutes(95)); // 25 min left: inside the 30 min margin

        var during = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => provider.GetAsync(CancellationToken.None).AsTask())).WaitAsync(Bound);
        Assert.All(during, r => Assert.Equal("Bearer at-0", r.Authorization));
        release.SetResult();
        await provider.RefreshInFlight.WaitAsync(Bound);

        Assert.Equal("Bearer at-1", (await provider.GetAsync(CancellationToken.None)).Authorization);
        Assert.Equal(1, RefreshCalls(handler));
    }

    [Fact]
    public async Task ShortLivedTokensRefreshAtHalfLifeNotOnEveryRequest()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed());
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(20)));

        _time.Advance(TimeSpan.FromMinutes(9));
        await provider.GetAsync(CancellationToken.None);
        Assert.Empty(handler.Requests);

        _time.Advance(TimeSpan.FromMinutes(2)); // past half of the 20 minutes
        Assert.Equal("Bearer at-0", (await provider.GetAsync(CancellationToken.None)).Authorization);
        await provider.RefreshInFlight.WaitAsync(Bound);
        Assert.Equal("Bearer at-1", (await provider.GetAsync(CancellationToken.None)).Authorization);
        Assert.Equal(1, RefreshCalls(handler));
    }

    [Fact]
    public async Task TheOldRefreshTokenIsKeptWhenTheAnswerHasNone()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed(withRefreshToken: false));
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));

        var credential = await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal("Bearer at-1", credential.Authorization);
        Assert.Equal("rt-0", provider.Current.RefreshToken);
        Assert.Equal(CredentialsFile.ReadStatus.Ok, _store.TryRead(out var saved, out _));
        Assert.Equal("rt-0", saved!.RefreshToken);
        Assert.Equal("portal.qwen.ai", saved.ResourceUrl);
        Assert.Equal("rt-0", handler.Requests.Single().Form["refresh_token"]);
        Assert.Equal("f0304373b74a44d2b584a3fb70ca9e56", handler.Requests.Single().Form["client_id"]);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    public async Task ARejectedRefreshMakesTheProxyNotReadyAndAnswers401WithTheWayForward(HttpStatusCode status)
    {
        var handler = new ScriptedHttpHandler(_ => ScriptedHttpHandler.Error(status, "invalid_grant"));
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));

        var credential = await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);
        var again = await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal(401, credential.Problem?.Status);
        Assert.Equal("login_required", credential.Problem?.Code);
        Assert.Contains("qwenfastproxy login", credential.Problem?.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("rt-0", credential.Problem?.Message, StringComparison.Ordinal);
        Assert.Same(credential, again);
        Assert.False(provider.IsReady(out var reason));
        Assert.Contains("invalid_grant", reason, StringComparison.Ordinal);
        Assert.Contains("qwenfastproxy login", reason, StringComparison.Ordinal);
        Assert.True(provider.IsLoginRejected);
        Assert.Equal(1, RefreshCalls(handler)); // no retry storm against a dead refresh token
        Assert.False(File.Exists(_store.Path)); // the dead login is removed
    }

    [Fact]
    public async Task ANewLoginSavedAfterARejectionIsPickedUpWithoutARestart()
    {
        var handler = new ScriptedHttpHandler(_ => ScriptedHttpHandler.Error(HttpStatusCode.BadRequest, "invalid_grant"));
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));
        await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.False(provider.IsReady(out _));

        Saved(TimeSpan.FromHours(6), accessToken: "at-new", refreshToken: "rt-new"); // `qwenfastproxy login` elsewhere
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(provider.IsReady(out _));
        var credential = await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.Equal("Bearer at-new", credential.Authorization);
    }

    [Fact]
    public async Task APassingFailureKeepsAValidTokenAndRetriesLaterOnce()
    {
        var fail = true;
        var handler = new ScriptedHttpHandler(_ => Volatile.Read(ref fail) ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) : Refreshed());
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(90)));
        _time.Advance(TimeSpan.FromMinutes(70)); // 20 min left

        Assert.Equal("Bearer at-0", (await provider.GetAsync(CancellationToken.None)).Authorization);
        await provider.RefreshInFlight.WaitAsync(Bound);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("Bearer at-0", (await provider.GetAsync(CancellationToken.None)).Authorization);
        }

        Assert.True(provider.IsReady(out _));
        Assert.Equal(1, RefreshCalls(handler)); // backed off: no refresh per request

        Volatile.Write(ref fail, false);
        _time.Advance(TimeSpan.FromSeconds(11));
        await provider.GetAsync(CancellationToken.None);
        await provider.RefreshInFlight.WaitAsync(Bound);
        Assert.Equal("Bearer at-1", (await provider.GetAsync(CancellationToken.None)).Authorization);
        Assert.Equal(2, RefreshCalls(handler));
    }

    [Fact]
    public async Task AnExpiredTokenWhoseRefreshFailsGives503AndNotReady()
    {
        var handler = new ScriptedHttpHandler(_ => new HttpResponseMessage(HttpStatusCode.BadGateway));
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));

        var credential = await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal(503, credential.Problem?.Status);
        Assert.Equal("token_refresh_failed", credential.Problem?.Code);
        Assert.False(provider.IsReady(out var reason));
        Assert.Contains("502", reason, StringComparison.Ordinal);
        Assert.True(File.Exists(_store.Path)); // a passing failure deletes nothing
    }

    [Fact]
    public async Task ConcurrentRenewalsOfTheSameRefusedTokenShareOneRefresh()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHttpHandler(async _ =>
        {
            await release.Task;
            return Refreshed();
        });
        using var provider = Provider(handler, Saved(TimeSpan.FromHours(5)));
        var refused = await provider.GetAsync(CancellationToken.None);

        var renewals = Enumerable.Range(0, 50).Select(_ => provider.RenewAsync(refused, CancellationToken.None).AsTask()).ToArray();
        release.SetResult();
        var renewed = await Task.WhenAll(renewals).WaitAsync(Bound);

        Assert.Equal(1, RefreshCalls(handler));
        Assert.All(renewed, r => Assert.Equal("Bearer at-1", r!.Authorization));

        // A late renewal of the old credential gets the new one without another refresh.
        var late = await provider.RenewAsync(refused, CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.Same(renewed[0], late);
        Assert.Equal(1, RefreshCalls(handler));

        // A brand-new token refused again at once is passed on, not refreshed in a loop.
        Assert.Null(await provider.RenewAsync(late!, CancellationToken.None).AsTask().WaitAsync(Bound));
        Assert.Equal(1, RefreshCalls(handler));
    }

    [Fact]
    public async Task ATokenAnotherProcessAlreadyRefreshedIsAdoptedNotRefreshedAgain()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed());
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(1)));
        Saved(TimeSpan.FromHours(2), accessToken: "at-other", refreshToken: "rt-other"); // the other proxy's refresh
        _time.Advance(TimeSpan.FromMinutes(2));

        var credential = await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal("Bearer at-other", credential.Authorization);
        Assert.Empty(handler.Requests);
        Assert.Equal(0, provider.RefreshCount);
    }

    [Fact]
    public async Task AForcedRenewalAdoptsANewerTokenFromTheFile()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed());
        using var provider = Provider(handler, Saved(TimeSpan.FromHours(5)));
        var refused = await provider.GetAsync(CancellationToken.None);
        Saved(TimeSpan.FromHours(2), accessToken: "at-other", refreshToken: "rt-other");

        var renewed = await provider.RenewAsync(refused, CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal("Bearer at-other", renewed!.Authorization);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task ACorruptFileDoesNotStopTheRefreshAndIsRepaired()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed());
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(1)));
        File.WriteAllText(_store.Path, "{\"access_tok");
        _time.Advance(TimeSpan.FromMinutes(2));

        var credential = await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal("Bearer at-1", credential.Authorization);
        Assert.Equal(CredentialsFile.ReadStatus.Ok, _store.TryRead(out var saved, out _));
        Assert.Equal("at-1", saved!.AccessToken);
    }

    [Fact]
    public async Task ALogoutElsewhereEndsTheLoginAtTheNextRefresh()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed());
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(1)));
        _store.Delete();
        _time.Advance(TimeSpan.FromMinutes(2));

        var credential = await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal(401, credential.Problem?.Status);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task TheApiBaseFollowsAChangedResourceUrlUnlessForced()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed(resourceUrl: "dashscope.example.com"));
        using var following = Provider(handler, Saved(TimeSpan.FromMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("https://dashscope.example.com/v1", (await following.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound)).BaseUrl);

        using var forced = Provider(handler, Saved(TimeSpan.FromMinutes(1), accessToken: "at-9"), forcedBase: "http://127.0.0.1:9/v1");
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("http://127.0.0.1:9/v1", (await forced.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound)).BaseUrl);
    }

    [Fact]
    public async Task NoRefreshTokenMeansLogInAgainOnceExpired()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed());
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(1), refreshToken: null));
        _time.Advance(TimeSpan.FromMinutes(2));

        var credential = await provider.GetAsync(CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal(401, credential.Problem?.Status);
        Assert.Contains("no refresh token", credential.Problem?.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task PrepareRefreshesADueTokenBeforeTheFirstRequest()
    {
        var handler = new ScriptedHttpHandler(_ => Refreshed());
        using var provider = Provider(handler, Saved(TimeSpan.FromMinutes(-5)));

        Assert.True(await provider.PrepareAsync(CancellationToken.None).WaitAsync(Bound));

        Assert.Equal("at-1", provider.Current.AccessToken);
    }

    [Fact]
    public async Task StaticCredentialsHaveNothingToRenew()
    {
        var credentials = new StaticCredentials("sk-key", authType: null);
        var credential = await credentials.GetAsync(CancellationToken.None);

        Assert.Equal("Bearer sk-key", credential.Authorization);
        Assert.Null(await credentials.RenewAsync(credential, CancellationToken.None));
        Assert.DoesNotContain("sk-key", credential.ToString(), StringComparison.Ordinal);
    }
}
