using Microsoft.Extensions.Logging.Abstractions;
using QwenFastProxy.Auth;
using QwenFastProxy.Cli.Hosting;
using QwenFastProxy.Configuration;
using QwenFastProxy.Simulator;
using QwenFastProxy.TestCorpus;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.IntegrationTests.Auth;

/// <summary>
/// The simulated Qwen (chat + OAuth, validating access tokens) on loopback, a private credentials folder, and any
/// number of real proxies (ProxyApplication + ProxyServer, each with its own token provider) sharing that folder's
/// credentials file and one <see cref="TestClock"/> with the simulator.
/// </summary>
public sealed class OAuthHarness : IAsyncDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(1);

    // In the past: a login saved on this clock has already expired by the real clock a CLI run uses.
    private static readonly DateTimeOffset ClockStart = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly List<ProxyInstance> _proxies = [];
    private readonly string _folder;

    private OAuthHarness(QwenSimulator simulator, TestClock clock, string folder)
    {
        Simulator = simulator;
        Clock = clock;
        _folder = folder;
        CredsPath = Path.Combine(folder, ".qwen", "qwenproxy_creds.json");
    }

    public QwenSimulator Simulator { get; }

    public OAuthServer OAuth => Simulator.OAuth;

    public TestClock Clock { get; }

    /// <summary>The private home folder (HOME for CLI runs).</summary>
    public string Home => _folder;

    public string CredsPath { get; }

    /// <summary><c>http://127.0.0.1:port</c>: QWEN_OAUTH_BASE_URL for the simulator.</summary>
    public string OAuthBaseUrl => Simulator.BaseUrl.GetLeftPart(UriPartial.Authority);

    public static async Task<OAuthHarness> StartAsync(bool fastForwardClock = false)
    {
        var clock = new TestClock(ClockStart, fastForwardClock);
        var simulator = await QwenSimulator.StartAsync(new SimulatorOptions());
        simulator.OAuth.Options.Time = clock;
        simulator.OAuth.Options.ValidateAccessTokens = true;
        simulator.OAuth.Options.AccessTokenLifetime = TokenLifetime;
        return new OAuthHarness(simulator, clock, Directory.CreateTempSubdirectory("qfp-oauth-").FullName);
    }

    /// <summary>Tokens as a completed login leaves them, written to the credentials file.</summary>
    public QwenCredentials SaveLogin()
    {
        var issued = OAuth.IssueTokens(OAuthBaseUrl);
        var credentials = new QwenCredentials(issued.AccessToken, "Bearer", issued.RefreshToken, issued.ResourceUrl, Clock.GetUtcNow() + issued.ExpiresIn);
        new CredentialsStore(CredsPath).Write(credentials);
        return credentials;
    }

    /// <summary>A proxy that reads the credentials file and refreshes against the simulator.</summary>
    public async Task<ProxyInstance> StartProxyAsync(Func<ProxyOptions, ProxyOptions>? configure = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var options = new ProxyOptions { Host = "127.0.0.1", Port = 0, CredsPath = CredsPath, OAuthBaseUrl = OAuthBaseUrl };
        options = configure?.Invoke(options) ?? options;
        var store = new CredentialsStore(options.CredsPath);
        Assert.Equal(CredentialsFile.ReadStatus.Ok, store.TryRead(out var saved, out _));
        var http = UpstreamClientFactory.Create(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5));
        var provider = new OAuthTokenProvider(
            store,
            new OAuthTokenClient(http, options.OAuthBaseUrl),
            saved!,
            new OAuthTokenProviderOptions { RefreshMargin = options.TokenRefreshMargin, ForcedBaseUrl = options.ApiBaseUrl },
            logger: loggerFactory.CreateLogger("QwenFastProxy.Auth"),
            Clock);
        var application = new ProxyApplication(options, provider, provider.BaseUrl, loggerFactory);
        var server = await ProxyServer.StartAsync(application, options.Host, options.Port, loggerFactory);
        var instance = new ProxyInstance(provider, application, server, http);
        _proxies.Add(instance);
        return instance;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }

        await Simulator.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>One proxy of an <see cref="OAuthHarness"/>.</summary>
public sealed class ProxyInstance(OAuthTokenProvider provider, ProxyApplication application, ProxyServer server, HttpMessageInvoker oauthHttp) : IAsyncDisposable
{
    public OAuthTokenProvider Provider { get; } = provider;

    public ProxyServer Server { get; } = server;

    public HttpClient CreateClient() => new() { BaseAddress = new Uri(Server.BaseUrl + "/"), Timeout = OAuthHarness.Bound };

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        application.Dispose();
        Provider.Dispose();
        oauthHttp.Dispose();
    }
}
