using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using QwenFastProxy.Auth;
using QwenFastProxy.Cli.Hosting;
using QwenFastProxy.Configuration;
using QwenFastProxy.Observability;
using QwenFastProxy.Simulator;
using QwenFastProxy.Upstream;
using ZLogger;

namespace QwenFastProxy.Cli.Commands;

/// <summary>
/// <c>qwenfastproxy</c> (and <c>--demo</c>): resolve credentials and upstream, start the server, run
/// until SIGINT/SIGTERM, then stop accepting and give in-flight requests a bounded grace.
/// </summary>
internal static class ServeCommand
{
    // Demo tokens live two minutes, so a demo run shows the proxy refreshing them (at half-life) in its log.
    private static readonly TimeSpan DemoTokenLifetime = TimeSpan.FromMinutes(2);

    // Slow enough for a person to watch a streamed answer arrive, fast enough not to bore them.
    private static readonly TimeSpan DemoChunkDelay = TimeSpan.FromMilliseconds(40);

    // The demo's upstream stutters like Qwen's: its first chunks repeat the text so far. With
    // STUTTER_FILTER=on (the default) the client sees clean text; with off, the duplication.
    private const int DemoCumulativeChunks = 2;

    public static async Task<int> RunAsync(
        ProxyOptions options, Func<string, string?> environment, ConsoleInfo console, TextWriter stdout, TextWriter stderr, CancellationToken externalStop)
    {
        using var stop = new StopSignal(externalStop);

        using var loggerFactory = LoggingSetup.Create(options.Debug, options.LogFormat);
        var logger = loggerFactory.CreateLogger("QwenFastProxy");

        QwenSimulator? simulator = null;
        string? demoFolder = null;
        OAuthTokenProvider? provider = null;
        try
        {
            IUpstreamCredentials credentials;
            string upstream;
            if (options.Demo)
            {
                simulator = await QwenSimulator.StartAsync(new SimulatorOptions { ChunkDelay = DemoChunkDelay, RecordRequests = false, CumulativeChunks = DemoCumulativeChunks }, cancellationToken: stop.Token).ConfigureAwait(false);
                (provider, demoFolder) = StartDemoLogin(simulator, options, loggerFactory);
                credentials = provider;
                upstream = provider.BaseUrl;
            }
            else if (options.ApiKeyMode)
            {
                credentials = new StaticCredentials(options.ApiKey!, authType: null);
                upstream = ApiBaseUrl.Resolve(options, null);
            }
            else
            {
                provider = await StartOAuthAsync(options, environment, console, stdout, stderr, loggerFactory, stop.Token).ConfigureAwait(false);
                if (provider is null)
                {
                    return ProxyCli.Failed;
                }

                credentials = provider;
                upstream = provider.BaseUrl;
            }

            foreach (var (name, value) in options.Describe())
            {
                logger.ZLogInformation($"config {name}={value}");
            }
            if (options.ApiKeyMode && QwenPlan.For(options, upstream) is { } plan)
            {
                logger.ZLogInformation($"plan {plan.Name}{(options.Plan is null ? " (recognised from the API base)" : "")}");
                if (plan.KeyWarning(options.ApiKey!) is { } warning)
                {
                    logger.ZLogWarning($"{warning}");
                }
            }

            // The demo upstream is the simulator: let a curious user try its faults (X-Sim-Fault) through the proxy.
            using var proxy = new ProxyApplication(options.Demo ? options with { ForwardSimulatorHeaders = true } : options, credentials, upstream, loggerFactory);
            ProxyServer server;
            try
            {
                server = await ProxyServer.StartAsync(proxy, options.Host, options.Port, loggerFactory, stop.Token).ConfigureAwait(false);
            }
            catch (IOException ex) when (ex.InnerException is SocketException or null)
            {
                await stderr.WriteLineAsync($"qwenfastproxy: cannot listen on {options.Host}:{options.Port}: {ex.Message}").ConfigureAwait(false);
                return ProxyCli.Failed;
            }

            await using (server.ConfigureAwait(false))
            {
                logger.ZLogInformation($"QwenFastProxy {ProxyCli.Version} listening on {server.BaseUrl} (upstream {upstream}{(options.Demo ? ", simulated" : "")})");
                await stdout.WriteLineAsync($"Point your OpenAI client at {server.BaseUrl} (any API key{(options.ProxyApiKeys.Count > 0 ? " from PROXY_API_KEYS" : "")}). Ctrl+C stops.").ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
                logger.ZLogInformation($"Shutting down: no new connections; in-flight requests get {options.ShutdownTimeout.TotalSeconds:0} s");
                await server.StopAsync(options.ShutdownTimeout).ConfigureAwait(false);
                logger.ZLogInformation($"Stopped");
            }
            return ProxyCli.Ok;
        }
        finally
        {
            provider?.Dispose();
            if (simulator is not null)
            {
                await simulator.DisposeAsync().ConfigureAwait(false);
            }

            if (demoFolder is not null)
            {
                TryDeleteFolder(demoFolder);
            }
        }
    }

    /// <summary>
    /// OAuth mode: the saved credentials, or — when there are none or they are unusable and a person is at the
    /// console — a device login first. A refresh token the server rejects at start-up is treated the same way.
    /// Returns null (after saying why on <paramref name="stderr"/>) when serving cannot start.
    /// </summary>
    private static async Task<OAuthTokenProvider?> StartOAuthAsync(
        ProxyOptions options,
        Func<string, string?> environment,
        ConsoleInfo console,
        TextWriter stdout,
        TextWriter stderr,
        ILoggerFactory loggerFactory,
        CancellationToken stop)
    {
        var store = new CredentialsStore(options.CredsPath);
        var providerOptions = new OAuthTokenProviderOptions { RefreshMargin = options.TokenRefreshMargin, ForcedBaseUrl = options.ApiBaseUrl };
        var status = store.TryRead(out var saved, out var message);
        string? problem = status switch
        {
            CredentialsFile.ReadStatus.Missing => $"no saved Qwen login at {options.CredsPath} and QWEN_API_KEY is not set",
            CredentialsFile.ReadStatus.Corrupt => message,
            _ => null,
        };

        // Three turns at most: the saved file, one login if that is unusable, and the verdict on that login.
        var loggedIn = false;
        for (var turn = 0; turn < 3; turn++)
        {
            if (problem is not null)
            {
                if (!console.Interactive || loggedIn)
                {
                    break;
                }

                await stdout.WriteLineAsync($"{char.ToUpperInvariant(problem[0])}{problem[1..]}: logging in first (the file is replaced only if the login succeeds).").ConfigureAwait(false);
                saved = await LoginCommand.TryLoginAsync(options, environment, console, stdout, stderr, stop).ConfigureAwait(false);
                if (saved is null)
                {
                    return null;
                }

                loggedIn = true;
                await stdout.WriteLineAsync($"Logged in; credentials saved to {options.CredsPath}.").ConfigureAwait(false);
            }

            var provider = OAuthTokenProvider.Create(OAuthPool(), options.OAuthBaseUrl, store, saved!, providerOptions, loggerFactory);
            if (await provider.PrepareAsync(stop).ConfigureAwait(false) || !provider.IsLoginRejected)
            {
                // Ready, or a passing refresh failure: serve, /readyz tells, and the next request tries again.
                return provider;
            }

            provider.IsReady(out problem);
            provider.Dispose();
        }

        await stderr.WriteLineAsync(
            $"qwenfastproxy: {problem}. Run `qwenfastproxy login` (in a terminal: the proxy then logs in by itself), "
            + "or set QWEN_API_KEY to a DashScope / Coding Plan key; `qwenfastproxy --demo` runs without any account.").ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// The demo's login: tokens straight from the simulator's OAuth server (no person needed), saved in a private
    /// temporary folder, then the real token provider — so the demo runs the same refresh path as a real login.
    /// </summary>
    private static (OAuthTokenProvider Provider, string Folder) StartDemoLogin(QwenSimulator simulator, ProxyOptions options, ILoggerFactory loggerFactory)
    {
        var origin = simulator.BaseUrl.GetLeftPart(UriPartial.Authority);
        simulator.OAuth.Options.ValidateAccessTokens = true;
        simulator.OAuth.Options.AccessTokenLifetime = DemoTokenLifetime;
        var issued = simulator.OAuth.IssueTokens(origin);

        var folder = Directory.CreateTempSubdirectory("qwenfastproxy-demo-").FullName;
        var store = new CredentialsStore(Path.Combine(folder, "demo_creds.json"));
        var credentials = new QwenCredentials(issued.AccessToken, "Bearer", issued.RefreshToken, issued.ResourceUrl, DateTimeOffset.UtcNow + issued.ExpiresIn);
        store.Write(credentials);
        var provider = OAuthTokenProvider.Create(
            OAuthPool(), origin, store, credentials, new OAuthTokenProviderOptions { RefreshMargin = options.TokenRefreshMargin }, loggerFactory);
        return (provider, folder);
    }

    // The token endpoint gets a pool of its own, apart from the API's: a refresh never queues behind streams.
    private static HttpMessageInvoker OAuthPool() => UpstreamClientFactory.Create(TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(15));

    private static void TryDeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
