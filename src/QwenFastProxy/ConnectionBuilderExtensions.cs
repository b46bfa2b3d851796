using Microsoft.AspNetCore.Connections;

namespace QwenFastProxy;

/// <summary>Attaches the proxy to a connection pipeline, such as a Kestrel <c>ListenOptions</c>.</summary>
public static class ConnectionBuilderExtensions
{
    /// <summary>Serves every connection of <paramref name="builder"/> with the proxy.</summary>
    public static IConnectionBuilder UseQwenFastProxy(this IConnectionBuilder builder, ProxyApplication proxy)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(proxy);
        return builder.Run(proxy.ConnectionHandler.OnConnectedAsync);
    }
}
