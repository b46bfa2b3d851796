using Microsoft.Extensions.Logging.Abstractions;
using QwenFastProxy.Auth;
using QwenFastProxy.Cli.Hosting;
using QwenFastProxy.Configuration;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Infrastructure;

/// <summary>
/// The real proxy (the same ProxyApplication and Kestrel host the executable runs) on 127.0.0.1:0 in
/// front of a simulated Qwen upstream, also on a loopback port.
/// </summary>
public sealed class ProxyHarness : IAsyncDisposable
{
    public const string UpstreamToken = "upstream-token-for-tests";

    private ProxyHarness(QwenSimulator simulator, ProxyApplication proxy, ProxyServer server)
    {
        Simulator = simulator;
        Proxy = proxy;
        Server = server;
    }

    public QwenSimulator Simulator { get; }

    public ProxyApplication Proxy { get; }

    public ProxyServer Server { get; }

    /// <summary>e.g. http://127.0.0.1:41234/v1</summary>
    public Uri BaseUrl => Server.BaseUrl;

    public System.Net.IPEndPoint EndPoint => Server.EndPoint;

    /// <summary>
    /// Starts the simulator and the proxy. <paramref name="configure"/> adjusts the proxy's options; <paramref name="time"/>
    /// is the proxy's clock (the circuit breaker's, among others), the system clock when null.
    /// </summary>
    public static async Task<ProxyHarness> StartAsync(Func<ProxyOptions, ProxyOptions>? configure = null, SimulatorOptions? simulatorOptions = null, string? upstreamOverride = null, TimeProvider? time = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        simulatorOptions ??= new SimulatorOptions();
        simulatorOptions.RequiredBearerToken ??= UpstreamToken;
        var simulator = await QwenSimulator.StartAsync(simulatorOptions);
        var options = new ProxyOptions { Host = "127.0.0.1", Port = 0, ForwardSimulatorHeaders = true };
        options = configure?.Invoke(options) ?? options;
        var credentials = new StaticCredentials(options.ApiKey ?? UpstreamToken, options.ApiKeyMode ? null : "qwen-oauth");
        var proxy = new ProxyApplication(options, credentials, upstreamOverride ?? simulator.BaseUrl.ToString().TrimEnd('/'), loggerFactory, time);
        var server = await ProxyServer.StartAsync(proxy, options.Host, options.Port, loggerFactory);
        return new ProxyHarness(simulator, proxy, server);
    }

    public HttpClient CreateHttpClient() => new() { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Proxy.Dispose();
        await Simulator.DisposeAsync();
    }
}
