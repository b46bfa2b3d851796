using Microsoft.AspNetCore.Connections;

namespace QwenFastProxy.Observability;

/// <summary>Counts client connections around another handler (accepted, and open now).</summary>
internal sealed class MeteredConnectionHandler : ConnectionHandler
{
    private readonly ConnectionHandler _inner;
    private readonly ProxyMetrics _metrics;

    public MeteredConnectionHandler(ConnectionHandler inner, ProxyMetrics metrics)
    {
        _inner = inner;
        _metrics = metrics;
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        _metrics.ConnectionOpened();
        try
        {
            await _inner.OnConnectedAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            _metrics.ConnectionClosed();
        }
    }
}
