using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace QwenFastProxy.Cli.Hosting;

/// <summary>
/// Kestrel's socket transport with the proxy as the only connection handler: no ASP.NET Core HTTP
/// stack, no generic host, no dependency injection container — only accept loops.
/// </summary>
public sealed class ProxyServer : IAsyncDisposable
{
    private readonly KestrelServer _server;

    private ProxyServer(KestrelServer server, IPEndPoint endPoint)
    {
        _server = server;
        EndPoint = endPoint;
    }

    /// <summary>The bound address (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Base URL for OpenAI clients, e.g. <c>http://127.0.0.1:8143/v1</c>.</summary>
    public Uri BaseUrl => new($"http://{(EndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]" : EndPoint.Address.ToString())}:{EndPoint.Port}/v1");

    /// <summary>Binds <paramref name="host"/>:<paramref name="port"/> and starts accepting.</summary>
    public static async Task<ProxyServer> StartAsync(ProxyApplication proxy, string host, int port, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        var address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : IPAddress.Parse(host);
        var kestrelOptions = new KestrelServerOptions { AddServerHeader = false };
        // Kestrel applies this limit to every endpoint's connection pipeline (its ConnectionLimitMiddleware
        // wraps our connection handler too): an extra connection has its transport completed at once.
        kestrelOptions.Limits.MaxConcurrentConnections = proxy.Options.MaxConcurrentConnections;
        ListenOptions? listen = null;
        kestrelOptions.Listen(address, port, options =>
        {
            listen = options;
            options.UseQwenFastProxy(proxy);
        });
        var transportOptions = new SocketTransportOptions { UnsafePreferInlineScheduling = EventThreads.Inline };
        TransportMemory.TryUsePinnedBlocks(transportOptions);
        var transport = new SocketTransportFactory(Options.Create(transportOptions), loggerFactory);
        var server = new KestrelServer(Options.Create(kestrelOptions), transport, loggerFactory);
        await server.StartAsync(new NoHttpApplication(), cancellationToken).ConfigureAwait(false);
        return new ProxyServer(server, (IPEndPoint)listen!.EndPoint);
    }

    /// <summary>
    /// Stops accepting, asks every connection to finish its current request and close, and aborts what
    /// is still open after <paramref name="grace"/>.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        using var timeout = new CancellationTokenSource(grace);
        await _server.StopAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _server.Dispose();
    }

    // Kestrel wants an HTTP application even when every connection is taken by our handler first.
    private sealed class NoHttpApplication : IHttpApplication<object>
    {
        public object CreateContext(IFeatureCollection contextFeatures) => new();

        public Task ProcessRequestAsync(object context) => Task.CompletedTask;

        public void DisposeContext(object context, Exception? exception)
        {
        }
    }
}
