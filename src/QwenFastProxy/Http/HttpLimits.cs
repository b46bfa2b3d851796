namespace QwenFastProxy.Http;

/// <summary>Limits the HTTP/1.1 front end enforces on every connection.</summary>
/// <param name="MaxRequestHeaderBytes">Header section size (request line excluded); more gets 431.</param>
/// <param name="MaxRequestBodyBytes">Body size; more gets 413.</param>
/// <param name="HeadersTimeout">From the first byte of a request to the end of its head (and the
/// longest silence while a body arrives); a slower client gets 408 and is disconnected.</param>
/// <param name="KeepAliveTimeout">How long an idle keep-alive connection is kept.</param>
/// <param name="MinRequestBodyBytesPerSecond">Slowest average rate a request body may arrive at once the grace
/// period is over; a slower client gets 408 and is disconnected. 0 turns the check off.</param>
/// <param name="MinRequestBodyDataRateGracePeriod">Time from the start of a body before its rate is checked.</param>
/// <param name="MaxHeldPipelinedResponses">Responses held back (not yet flushed) while further pipelined requests
/// are already waiting; at this many the connection flushes, so the client's reading paces it.</param>
internal sealed record HttpLimits(
    int MaxRequestHeaderBytes = 32 * 1024,
    long MaxRequestBodyBytes = 64L * 1024 * 1024,
    TimeSpan HeadersTimeout = default,
    TimeSpan KeepAliveTimeout = default,
    double MinRequestBodyBytesPerSecond = 240,
    TimeSpan MinRequestBodyDataRateGracePeriod = default,
    int MaxHeldPipelinedResponses = 16)
{
    /// <summary>Effective grace period of the body data rate (Kestrel's default of 5 s when unset).</summary>
    public TimeSpan EffectiveMinRequestBodyDataRateGracePeriod =>
        MinRequestBodyDataRateGracePeriod > TimeSpan.Zero ? MinRequestBodyDataRateGracePeriod : TimeSpan.FromSeconds(5);

    /// <summary>Effective headers timeout (Kestrel's default of 30 s when unset).</summary>
    public TimeSpan EffectiveHeadersTimeout => HeadersTimeout > TimeSpan.Zero ? HeadersTimeout : TimeSpan.FromSeconds(30);

    /// <summary>Effective keep-alive timeout (Kestrel's default of 130 s when unset).</summary>
    public TimeSpan EffectiveKeepAliveTimeout => KeepAliveTimeout > TimeSpan.Zero ? KeepAliveTimeout : TimeSpan.FromSeconds(130);
}
