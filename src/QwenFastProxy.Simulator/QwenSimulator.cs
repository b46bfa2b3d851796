using System.Net;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace QwenFastProxy.Simulator;

/// <summary>
/// An in-process HTTP server that answers like Qwen's OpenAI-compatible API (<c>/v1/chat/completions</c>,
/// <c>/v1/models</c>) and its Anthropic-compatible one (<c>/apps/anthropic/v1/messages</c>), plus a <c>/v1/sim/echo</c> helper. Used by integration tests, <c>--demo</c> and benchmarks.
/// </summary>
/// <remarks>
/// Kestrel is constructed directly rather than through a web host: no DI container, configuration or logging
/// providers to build, so it starts in milliseconds, prints nothing, and stays native-AOT safe.
/// </remarks>
public sealed class QwenSimulator : IAsyncDisposable
{
    // How long StopAsync lets in-flight streams finish before Kestrel aborts their connections; a slow simulated
    // stream must not hold up test teardown.
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(1);

    private readonly KestrelServer _server;
    private readonly Lock _stopGate = new();
    private readonly FaultInjection _faults;
    private Task? _stopTask;

    private QwenSimulator(KestrelServer server, Uri baseUrl, int port, SimulatorOptions options, RequestLog requests, FaultInjection faults)
    {
        _server = server;
        _faults = faults;
        BaseUrl = baseUrl;
        Port = port;
        Options = options;
        Requests = requests;
    }

    /// <summary>API base the way clients configure it, e.g. <c>http://127.0.0.1:45123/v1</c> (no trailing slash).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The bound TCP port (the real one when 0 was asked for).</summary>
    public int Port { get; }

    /// <summary>Behaviour knobs; may be changed while the simulator runs.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>Every request received, in arrival order.</summary>
    public RequestLog Requests { get; }

    /// <summary>The simulated Qwen OAuth server on the same port (device flow, tokens, refresh); see <see cref="OAuthServer"/>.</summary>
    public OAuthServer OAuth { get; private init; } = null!;

    /// <summary>
    /// Chat attempts received with <c>X-Sim-Request-Id: <paramref name="requestId"/></c> (see <see cref="FaultHeaders"/>),
    /// faulted or not: how many times a retrying client tried.
    /// </summary>
    public int Attempts(string requestId) => _faults.Attempts(requestId);

    /// <summary>Every chat attempt received so far, with or without <c>X-Sim-Request-Id</c> (load and recovery runs).</summary>
    public long ChatAttempts => _faults.ChatAttempts;

    /// <summary>Chat attempts answered with a fault drawn from <see cref="SimulatorOptions.Faults"/>.</summary>
    public long InjectedFaults => _faults.InjectedFaults;

    /// <summary>
    /// Starts a simulator listening on <paramref name="host"/>:<paramref name="port"/> (port 0 picks a free one).
    /// <paramref name="host"/> is an IP literal, <c>localhost</c> (bound as 127.0.0.1) or a resolvable name.
    /// </summary>
    public static async Task<QwenSimulator> StartAsync(SimulatorOptions? options = null, string host = "127.0.0.1",
        int port = 0, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        options ??= new SimulatorOptions();

        var address = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        var kestrelOptions = new KestrelServerOptions { AddServerHeader = false };
        ListenOptions? listen = null;
        kestrelOptions.Listen(address, port, o => listen = o);

        var loggerFactory = NullLoggerFactory.Instance;
        // Inline scheduling: a flushed frame is handed to the socket before FlushAsync returns, so a fault that cuts
        // the connection after N frames (FaultResponder) delivers exactly N. The simulator's code never blocks.
        var transport = new SocketTransportFactory(
            MsOptions.Create(new SocketTransportOptions { UnsafePreferInlineScheduling = true }), loggerFactory);
        var server = new KestrelServer(MsOptions.Create(kestrelOptions), transport, loggerFactory);
        var requests = new RequestLog();
        var state = new SimulatorState(options, requests);
        try
        {
            await server.StartAsync(new SimulatorApplication(state), cancellationToken)
                .ConfigureAwait(false);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        var boundPort = BoundPort(server, listen, port);
        var baseUrl = new UriBuilder(Uri.UriSchemeHttp, UrlHost(host, address), boundPort, "/v1").Uri;
        return new QwenSimulator(server, baseUrl, boundPort, options, requests, state.Faults) { OAuth = state.OAuth };
    }

    /// <summary>
    /// Stops listening and ends the connections; in-flight responses get a short grace period (or until
    /// <paramref name="cancellationToken"/> fires) before they are aborted. Safe to call more than once.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_stopGate)
        {
            return _stopTask ??= StopCoreAsync(cancellationToken);
        }
    }

    /// <summary>Stops the simulator (see <see cref="StopAsync"/>) and releases the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _server.Dispose();
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(ShutdownGrace);
        await _server.StopAsync(grace.Token).ConfigureAwait(false);
    }

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        // Kestrel refuses port 0 on "localhost" (it would bind IPv4 and IPv6 separately), so pin it to IPv4 loopback.
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        if (host is "*" or "+")
        {
            return IPAddress.Any;
        }

        if (IPAddress.TryParse(host.AsSpan().Trim("[]"), out var literal))
        {
            return literal;
        }

        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        return addresses.Length > 0
            ? addresses[0]
            : throw new ArgumentException($"Host '{host}' did not resolve to any address.", nameof(host));
    }

    private static int BoundPort(KestrelServer server, ListenOptions? listen, int requested)
    {
        if (listen?.IPEndPoint is { Port: > 0 } endPoint)
        {
            return endPoint.Port;
        }

        // Fallback: Kestrel publishes the bound addresses (with the real port) once started.
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is not null)
        {
            foreach (var address in addresses)
            {
                if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Port > 0)
                {
                    return uri.Port;
                }
            }
        }

        return requested;
    }

    // Clients cannot connect to a wildcard address, so the URL names loopback instead.
    private static string UrlHost(string host, IPAddress address)
    {
        if (address.Equals(IPAddress.Any))
        {
            return "127.0.0.1";
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "[::1]";
        }

        // "localhost" names the IPv4 loopback it is bound to, so clients do not try ::1 first and fall back.
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || IPAddress.TryParse(host.AsSpan().Trim("[]"), out _)
            ? address.ToString()
            : host;
    }
}
