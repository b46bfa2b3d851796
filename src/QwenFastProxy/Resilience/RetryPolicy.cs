namespace QwenFastProxy.Resilience;

/// <summary>
/// When to retry an upstream attempt that failed before any response byte reached the client: at most
/// <see cref="MaxRetries"/> retries, each after an exponential backoff with full jitter
/// (<c>delay = random(0, min(cap, base · 2^retry))</c>, as in AWS's "Exponential Backoff and Jitter"), with the
/// upstream's <c>Retry-After</c> as a floor, and never a retry that would start past the request's own deadline.
/// </summary>
/// <remarks>
/// Full jitter spreads the retries of many clients that failed together (one upstream blip hits every
/// in-flight request at once), so they do not come back as a synchronised wave. The policy is pure computation
/// and safe to share; only <see cref="WaitAsync"/> touches a clock.
/// </remarks>
internal sealed class RetryPolicy
{
    /// <summary>The first retry's backoff ceiling: short, because most blips (a reset pooled connection, one bad node) are over at once.</summary>
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>The backoff cap: beyond ~10 s an interactive coding agent is better served by the error.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(10);

    // 2^30 · base is far beyond any cap already; clamping the exponent keeps the shift from overflowing.
    private const int MaxExponent = 30;

    private readonly Func<double> _random;

    /// <summary>Creates a policy.</summary>
    /// <param name="maxRetries">Retries after the first attempt (<c>RETRY_MAX_ATTEMPTS</c>); 0 disables retrying.</param>
    /// <param name="baseDelay">Backoff ceiling of the first retry; <see cref="DefaultBaseDelay"/> when null.</param>
    /// <param name="maxDelay">Cap of the backoff ceiling; <see cref="DefaultMaxDelay"/> when null.</param>
    /// <param name="random">Uniform source in [0, 1); <see cref="Random.Shared"/> when null. Tests pass a fixed one.</param>
    public RetryPolicy(int maxRetries, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        BaseDelay = baseDelay ?? DefaultBaseDelay;
        MaxDelay = maxDelay ?? DefaultMaxDelay;
        ArgumentOutOfRangeException.ThrowIfLessThan(BaseDelay, TimeSpan.Zero, nameof(baseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, BaseDelay, nameof(maxDelay));
        MaxRetries = maxRetries;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetries { get; }

    /// <summary>Backoff ceiling of the first retry.</summary>
    public TimeSpan BaseDelay { get; }

    /// <summary>Cap of the backoff ceiling.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>The backoff ceiling before retry number <paramref name="retry"/> (0 = the first retry): <c>min(cap, base · 2^retry)</c>.</summary>
    public TimeSpan Ceiling(int retry)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retry);
        var exponent = Math.Min(retry, MaxExponent);
        var ticks = BaseDelay.Ticks;
        // base · 2^exponent without overflow: stop as soon as the cap is reached.
        return ticks > MaxDelay.Ticks >> exponent ? MaxDelay : TimeSpan.FromTicks(Math.Min(ticks << exponent, MaxDelay.Ticks));
    }

    /// <summary>
    /// Decides retry number <paramref name="retry"/> (0 = the first retry, after the first attempt failed).
    /// </summary>
    /// <param name="retry">Retries already made.</param>
    /// <param name="retryAfter">The upstream's <c>Retry-After</c> (see <see cref="RetryAfterHeader"/>), or zero; a floor for the delay.</param>
    /// <param name="remaining">Time left before the request's own deadline; the retry must start before it.</param>
    /// <param name="delay">How long to wait before the retry.</param>
    /// <returns>False when no retry is left or the wait would reach the deadline: answer with the last failure.</returns>
    public bool TryGetDelay(int retry, TimeSpan retryAfter, TimeSpan remaining, out TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retry);
        delay = TimeSpan.Zero;
        if (retry >= MaxRetries)
        {
            return false;
        }

        var jitter = Math.Clamp(_random(), 0.0, 1.0);
        var backoff = TimeSpan.FromTicks((long)(Ceiling(retry).Ticks * jitter));
        var wait = retryAfter > backoff ? retryAfter : backoff;
        // A retry that would start at or after the deadline could only ever time out: answer now instead.
        if (wait >= remaining)
        {
            return false;
        }
        delay = wait;
        return true;
    }

    /// <summary>
    /// Waits <paramref name="delay"/> on <paramref name="time"/>'s clock. True when the wait ran out; false when
    /// <paramref name="cancellationToken"/> fired first (the client left or the deadline passed) — never throws for that.
    /// </summary>
    public static async ValueTask<bool> WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        if (delay <= TimeSpan.Zero)
        {
            return true;
        }
        // SuppressThrowing: a cancelled wait is an expected outcome here, not worth an exception.
        await Task.Delay(delay, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return !cancellationToken.IsCancellationRequested;
    }
}
