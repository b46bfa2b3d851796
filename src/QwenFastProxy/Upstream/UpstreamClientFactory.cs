using System.Net;

namespace QwenFastProxy.Upstream;

/// <summary>
/// The one upstream connection pool. Tuned as LLRP and YARP tune theirs: no proxy, redirects,
/// cookies, decompression or activity propagation — the proxy relays bytes, it does not browse.
/// </summary>
internal static class UpstreamClientFactory
{
    /// <summary>Creates the invoker every upstream call shares.</summary>
    /// <param name="idleConnectionTimeout">IDLE_CONN_TIMEOUT_SECONDS: how long a pooled connection may idle.</param>
    /// <param name="connectTimeout">Longest wait for a TCP (and TLS) connection.</param>
    public static HttpMessageInvoker Create(TimeSpan idleConnectionTimeout, TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            PooledConnectionIdleTimeout = idleConnectionTimeout,
            ConnectTimeout = connectTimeout,
            // Streams can last minutes; connections are recycled only when idle, never mid-request.
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }
}
