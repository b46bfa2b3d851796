using QwenFastProxy.Observability;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Upstream;

/// <summary>How <see cref="UpstreamForwarder"/> protects the upstream and the client from upstream trouble.</summary>
/// <param name="Circuit">The upstream's circuit breaker, or null for none.</param>
/// <param name="Retry">Retries before the first byte reaches the client (<c>RETRY_MAX_ATTEMPTS</c>).</param>
/// <param name="Time">Clock of the retry waits and deadlines.</param>
/// <param name="ForwardSimulatorHeaders">Forward <c>X-Sim-Fault</c> / <c>X-Sim-Request-Id</c> upstream (simulated upstreams only).</param>
/// <param name="Metrics">Where upstream attempts and retries are counted, or null.</param>
internal sealed record UpstreamResilience(CircuitBreaker? Circuit, RetryPolicy Retry, TimeProvider Time, bool ForwardSimulatorHeaders = false, ProxyMetrics? Metrics = null)
{
    /// <summary>No breaker, no retries: every request gets exactly one attempt.</summary>
    public static UpstreamResilience None { get; } = new(null, new RetryPolicy(0), TimeProvider.System);
}
