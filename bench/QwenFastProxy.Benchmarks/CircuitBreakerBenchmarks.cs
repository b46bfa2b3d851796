using BenchmarkDotNet.Attributes;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Benchmarks;

/// <summary>
/// The breaker's cost per request on the hot path: closed (acquire + record success, as every healthy request
/// pays), closed with a failure streak to clear, and open (the fail-fast refusal). System clock, one thread.
/// </summary>
[MemoryDiagnoser]
public class CircuitBreakerBenchmarks
{
    private readonly CircuitBreaker _closed = new(10, TimeSpan.FromSeconds(30));
    private readonly CircuitBreaker _streaky = new(CircuitBreaker.MaxFailureThreshold, TimeSpan.FromSeconds(30));
    private readonly CircuitBreaker _open = new(1, TimeSpan.FromDays(365));

    [GlobalSetup]
    public void OpenTheOpenOne()
    {
        _open.TryAcquire(out var lease);
        _open.RecordFailure(lease);
    }

    /// <summary>A healthy request: one volatile read to acquire, one to record (nothing to write).</summary>
    [Benchmark(Baseline = true)]
    public bool ClosedAcquireAndSucceed()
    {
        if (!_closed.TryAcquire(out var lease))
        {
            return false;
        }
        _closed.RecordSuccess(lease);
        return true;
    }

    /// <summary>A failure then a success: two compare-and-swaps (count it, clear it).</summary>
    [Benchmark]
    public bool ClosedFailThenSucceed()
    {
        _streaky.TryAcquire(out var failed);
        _streaky.RecordFailure(failed);
        _streaky.TryAcquire(out var succeeded);
        _streaky.RecordSuccess(succeeded);
        return true;
    }

    /// <summary>Fail fast: the refusal while open (a clock read and a compare; no exception, no allocation).</summary>
    [Benchmark]
    public bool OpenRejected() => _open.TryAcquire(out _);

    /// <summary>The refusal plus the Retry-After the 503 carries.</summary>
    [Benchmark]
    public int OpenRejectedWithRetryAfter() =>
        _open.TryAcquire(out _) ? 0 : RetryAfterHeader.ToDeltaSeconds(_open.RetryAfter);
}
