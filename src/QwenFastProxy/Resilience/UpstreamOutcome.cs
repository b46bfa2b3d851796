namespace QwenFastProxy.Resilience;

/// <summary>
/// Every way one upstream attempt can end, as <see cref="UpstreamFailureClassifier"/> sees it. What each class
/// means for retrying, for the circuit breaker and for the client's answer is in <see cref="UpstreamOutcomePolicy"/>.
/// </summary>
/// <remarks>
/// "Before headers" means before any byte of the answer reached the client: until then the attempt can be
/// replayed (the request body is held whole in memory).
/// </remarks>
public enum UpstreamOutcome
{
    /// <summary>A 1xx–3xx answer (in practice 2xx): relayed.</summary>
    Success = 0,

    /// <summary>No connection: refused, unreachable, DNS, TLS, or the connect timeout. Nothing reached the upstream.</summary>
    ConnectFailure,

    /// <summary>The connection broke (reset, closed, HTTP/2 stream reset) before the response head arrived.</summary>
    ResetBeforeHeaders,

    /// <summary>The exchange's deadline passed before the response head arrived.</summary>
    TimeoutBeforeHeaders,

    /// <summary>The upstream sent something that is not an HTTP response (or one beyond the client's limits).</summary>
    InvalidResponse,

    /// <summary>500, 502, 503 or 504: a transient upstream failure.</summary>
    ServerError,

    /// <summary>Any other 5xx (501 Not Implemented, 505 HTTP Version Not Supported, 507…): a definite answer, not a blip.</summary>
    ServerErrorFinal,

    /// <summary>
    /// 429 throttling (<c>rate_limit_exceeded</c>, and a plan's per-minute "Allocated quota exceeded"): retry after
    /// the upstream's <c>Retry-After</c>.
    /// </summary>
    RateLimited,

    /// <summary>
    /// Billing, not rate (<c>Arrearage</c>, <c>CommodityNotPurchased</c>, <c>insufficient_quota</c>, "Free allocated
    /// quota exceeded."; see <see cref="UpstreamErrorRules"/>): retrying cannot help.
    /// </summary>
    QuotaExhausted,

    /// <summary>401, or 403 without a quota reason: the token provider's business (refresh once), not retried here.</summary>
    AuthRejected,

    /// <summary>Any other 4xx: the request itself is wrong.</summary>
    ClientError,

    /// <summary>The client left (its connection closed): nobody to answer, and nothing learnt about the upstream.</summary>
    ClientGone,

    /// <summary>The upstream failed after the first response byte reached the client: never retried, the stream is ended cleanly.</summary>
    AfterFirstByte,
}
