using Microsoft.AspNetCore.Connections;

namespace QwenFastProxy.Http;

/// <summary>
/// The Kestrel connection handler: every accepted connection runs the hand-written HTTP/1.1 loop
/// instead of Kestrel's own HTTP stack.
/// </summary>
internal sealed class ProxyConnectionHandler : ConnectionHandler
{
    private readonly IRequestHandler _handler;
    private readonly IAccessLog? _accessLog;
    private readonly HttpLimits _limits;
    private readonly TimeProvider _time;

    /// <summary>Creates a handler that serves <paramref name="handler"/> under <paramref name="limits"/>.</summary>
    public ProxyConnectionHandler(IRequestHandler handler, HttpLimits limits, IAccessLog? accessLog = null, TimeProvider? time = null)
    {
        _handler = handler;
        _limits = limits;
        _accessLog = accessLog;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public override Task OnConnectedAsync(ConnectionContext connection) =>
        new HttpConnection(connection, _handler, _accessLog, _limits, _time).RunAsync();
}
