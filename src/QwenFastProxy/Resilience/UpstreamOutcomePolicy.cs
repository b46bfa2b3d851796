using QwenFastProxy.Http;

namespace QwenFastProxy.Resilience;

/// <summary>What each <see cref="UpstreamOutcome"/> means for retrying, for the circuit breaker, and for the client's answer.</summary>
internal static class UpstreamOutcomePolicy
{
    /// <summary>
    /// True when another attempt may help and is safe: the failure happened before any byte reached the client
    /// and is transient. The retry policy still decides whether one is left and fits before the deadline.
    /// </summary>
    public static bool IsRetryable(this UpstreamOutcome outcome) => outcome is
        UpstreamOutcome.ConnectFailure
        or UpstreamOutcome.ResetBeforeHeaders
        or UpstreamOutcome.TimeoutBeforeHeaders
        or UpstreamOutcome.ServerError
        or UpstreamOutcome.RateLimited;

    /// <summary>
    /// What the attempt tells the circuit breaker. Failures are the upstream being unreachable or broken
    /// (including a stream it broke after the first byte). Any HTTP answer the upstream chose to give — 4xx,
    /// 429, quota, auth, 501 — proves it reachable and working, so it counts as a success.
    /// </summary>
    /// <remarks>
    /// 429 is deliberately not a failure: it is a prompt, well-formed answer about this account's rate, and its
    /// <c>Retry-After</c> already says when to come back. Counting it would let a burst of throttling open the
    /// circuit and replace that per-request guidance with a blanket 503 for every request for the reset time.
    /// A half-open trial answered with 429 therefore closes the circuit: the upstream is back.
    /// </remarks>
    public static CircuitOutcome ForCircuit(this UpstreamOutcome outcome) => outcome switch
    {
        UpstreamOutcome.ConnectFailure
            or UpstreamOutcome.ResetBeforeHeaders
            or UpstreamOutcome.TimeoutBeforeHeaders
            or UpstreamOutcome.InvalidResponse
            or UpstreamOutcome.ServerError
            or UpstreamOutcome.AfterFirstByte => CircuitOutcome.Failure,
        UpstreamOutcome.ClientGone => CircuitOutcome.Abandoned,
        _ => CircuitOutcome.Success,
    };

    /// <summary>
    /// The proxy's own answer for an attempt that produced no upstream response to relay (connect, reset,
    /// timeout, invalid response). False for outcomes whose upstream answer is passed through as it is (every
    /// HTTP status, including the last 5xx/429 once retries are spent), for <see cref="UpstreamOutcome.ClientGone"/>
    /// (nobody to answer) and <see cref="UpstreamOutcome.AfterFirstByte"/> (the stream is ended instead).
    /// </summary>
    /// <param name="outcome">How the attempt ended.</param>
    /// <param name="exception">What the attempt threw, if anything: a connect failure names its cause.</param>
    /// <param name="timeout">The exchange's timeout, named in a timeout's message.</param>
    /// <param name="error">The answer.</param>
    public static bool TryGetProxyError(this UpstreamOutcome outcome, Exception? exception, TimeSpan timeout, out HttpError error)
    {
        error = outcome switch
        {
            UpstreamOutcome.ConnectFailure => exception is HttpRequestException http ? ProxyErrors.UnreachableBecause(http) : ProxyErrors.Unreachable,
            UpstreamOutcome.ResetBeforeHeaders => ProxyErrors.Reset,
            UpstreamOutcome.TimeoutBeforeHeaders => ProxyErrors.Timeout(timeout),
            UpstreamOutcome.InvalidResponse => ProxyErrors.InvalidResponse,
            _ => default,
        };
        return error.Status != 0;
    }
}
