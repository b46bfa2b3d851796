using QwenFastProxy.Http;

namespace QwenFastProxy.Resilience;

/// <summary>
/// The answers the proxy gives itself when the upstream gave none worth relaying. Constants, so failing fast
/// allocates nothing; the circuit's 503 also needs a <c>Retry-After</c> header
/// (<see cref="RetryAfterHeader.ToDeltaSeconds"/> of <see cref="CircuitBreaker.RetryAfter"/>).
/// </summary>
public static class ResilienceErrors
{
    /// <summary>502: no connection could be made.</summary>
    public static readonly HttpError Unreachable =
        new(502, "The upstream could not be reached.", "upstream_unreachable");

    /// <summary>502: the connection broke before the upstream answered.</summary>
    public static readonly HttpError Reset =
        new(502, "The upstream closed the connection before answering.", "upstream_unreachable");

    /// <summary>502: the upstream's answer was not valid HTTP.</summary>
    public static readonly HttpError InvalidResponse =
        new(502, "The upstream sent an invalid response.", "upstream_invalid_response");

    /// <summary>504: no answer before the request's deadline.</summary>
    public static readonly HttpError Timeout =
        new(504, "The upstream did not answer within the request timeout.", "upstream_timeout");

    /// <summary>503: the circuit is open; no upstream call was made.</summary>
    public static readonly HttpError CircuitOpen =
        new(503, "The upstream is failing, so the proxy is not sending it requests for a while (circuit breaker open). Retry after the time in Retry-After.", "circuit_open");
}
