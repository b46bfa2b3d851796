namespace QwenFastProxy.Http;

/// <summary>Limits the HTTP/1.1 front end enforces on every connection.</summary>
/// <param name="MaxRequestHeaderBytes">Header section size (request line excluded); more gets 431.</param>
/// <param name="MaxRequestBodyBytes">Body size; more gets 413.</param>
/// <param name="HeadersTimeout">From the first byte of a request to the end of its head (and the
/// longest silence while a body arrives); a slower client gets 408 and is disconnected.</param>
/// <param name="KeepAliveTimeout">How long an idle keep-alive connection is kept.</param>
public sealed record HttpLimits(
    int MaxRequestHeaderBytes = 32 * 1024,
    long MaxRequestBodyBytes = 64L * 1024 * 1024,
    TimeSpan HeadersTimeout = default,
    TimeSpan KeepAliveTimeout = default)
{
    /// <summary>Effective headers timeout (Kestrel's default of 30 s when unset).</summary>
    public TimeSpan EffectiveHeadersTimeout => HeadersTimeout > TimeSpan.Zero ? HeadersTimeout : TimeSpan.FromSeconds(30);

    /// <summary>Effective keep-alive timeout (Kestrel's default of 130 s when unset).</summary>
    public TimeSpan EffectiveKeepAliveTimeout => KeepAliveTimeout > TimeSpan.Zero ? KeepAliveTimeout : TimeSpan.FromSeconds(130);
}
