using System.Net.Sockets;
using System.Runtime.InteropServices;
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
    // The demo's simulator checks this token, so the demo exercises the same Authorization path as a real upstream.
    private const string DemoToken = "demo-access-token";

    // Slow enough for a person to watch a streamed answer arrive, fast enough not to bore them.
    private static readonly TimeSpan DemoChunkDelay = TimeSpan.FromMilliseconds(40);

    public static async Task<int> RunAsync(ProxyOptions options, TextWriter stdout, TextWriter stderr, CancellationToken externalStop)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(externalStop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we shut down ourselves, gracefully
            stop.Cancel();
        }

        using var loggerFactory = LoggingSetup.Create(options.Debug, options.LogFormat);
        var logger = loggerFactory.CreateLogger("QwenFastProxy");

        QwenSimulator? simulator = null;
        try
        {
            IUpstreamCredentials credentials;
            string upstream;
            if (options.Demo)
            {
                simulator = await QwenSimulator.StartAsync(new SimulatorOptions { RequiredBearerToken = DemoToken, ChunkDelay = DemoChunkDelay, RecordRequests = false }, cancellationToken: stop.Token).ConfigureAwait(false);
                credentials = new StaticCredentials(DemoToken, "qwen-oauth");
                upstream = simulator.BaseUrl.ToString().TrimEnd('/');
            }
            else if (options.ApiKeyMode)
            {
                credentials = new StaticCredentials(options.ApiKey!, authType: null);
                upstream = ApiBaseUrl.Resolve(options, null);
            }
            else
            {
                var status = CredentialsFile.TryRead(options.CredsPath, out var saved, out var message);
                if (status != CredentialsFile.ReadStatus.Ok)
                {
                    await stderr.WriteLineAsync(status == CredentialsFile.ReadStatus.Missing
                        ? $"qwenfastproxy: no saved credentials at {options.CredsPath} and QWEN_API_KEY is not set. "
                          + "Set QWEN_API_KEY (DashScope / Coding Plan), or copy Qwen Code's ~/.qwen/oauth_creds.json to QWEN_CREDS_PATH; "
                          + "`qwenfastproxy --demo` runs without any account."
                        : $"qwenfastproxy: {message}").ConfigureAwait(false);
                    return ProxyCli.Failed;
                }
                credentials = new StaticCredentials(saved!.AccessToken, "qwen-oauth", saved.ExpiryDate);
                upstream = ApiBaseUrl.Resolve(options, saved);
            }

            foreach (var (name, value) in options.Describe())
            {
                logger.ZLogInformation($"config {name}={value}");
            }

            using var proxy = new ProxyApplication(options, credentials, upstream, loggerFactory);
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
            if (simulator is not null)
            {
                await simulator.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
