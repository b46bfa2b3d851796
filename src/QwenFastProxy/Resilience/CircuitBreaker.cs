using System.Runtime.CompilerServices;
using static QwenFastProxy.Resilience.CircuitWord;

namespace QwenFastProxy.Resilience;

/// <summary>
/// A lock-free circuit breaker for one upstream. Closed: requests flow and consecutive failures are counted;
/// at the threshold the circuit opens. Open: requests are refused (a return value, never an exception) until
/// the reset time has passed. Then exactly one caller becomes the half-open trial: its success closes the
/// circuit, its failure opens it again for another reset time.
/// </summary>
/// <remarks>
/// <para>
/// All state is one 64-bit word (<see cref="CircuitWord"/>) changed only by compare-and-swap, so no call
/// takes a lock, blocks or allocates. The hot path — a closed circuit — is one volatile read to acquire and,
/// when there is no failure streak to clear, one volatile read to record a success.
/// </para>
/// <para>
/// Exactly one trial: the only way into the half-open state is a CAS from one specific open (or vacant) word,
/// and the CAS succeeds for exactly one of the threads that read that word; every other thread then sees a
/// half-open word whose trial started just now and is refused. If the trial never reports (a lost lease), a
/// new trial is admitted once a further reset time has passed, so the breaker cannot wedge half-open.
/// </para>
/// <para>
/// Leases carry the generation they were issued in: the outcome of an attempt that started before the circuit
/// opened, or of a replaced trial, is ignored. Outcomes recorded while Open are ignored too (Polly does the same):
/// only the trial decides when the circuit closes.
/// </para>
/// </remarks>
internal sealed class CircuitBreaker
{
    /// <summary>The largest accepted <see cref="FailureThreshold"/> (the counter has 22 bits).</summary>
    public const int MaxFailureThreshold = (1 << FailureBits) - 1;

    /// <summary>The longest accepted <see cref="ResetTimeout"/>: the stamp arithmetic stays far from overflow.</summary>
    public static readonly TimeSpan MaxResetTimeout = TimeSpan.FromDays(365);

    private readonly TimeProvider _time;
    private readonly long _epoch;
    private readonly ulong _resetMs;
    private ulong _word;

    /// <summary>Creates a closed breaker.</summary>
    /// <param name="failureThreshold">Consecutive failures that open the circuit (<c>CIRCUIT_BREAKER_FAILURES</c>), 1..<see cref="MaxFailureThreshold"/>.</param>
    /// <param name="resetTimeout">Open time before one trial (<c>CIRCUIT_BREAKER_RESET_SECONDS</c>), at least 1 ms.</param>
    /// <param name="time">Clock; <see cref="TimeProvider.System"/> when null. Tests pass a fake one.</param>
    public CircuitBreaker(int failureThreshold, TimeSpan resetTimeout, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failureThreshold, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(failureThreshold, MaxFailureThreshold);
        // Whole milliseconds, at least one: stamps are milliseconds, and a zero reset would let a new trial
        // replace the current one at once.
        ArgumentOutOfRangeException.ThrowIfLessThan(resetTimeout, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(resetTimeout, MaxResetTimeout);

        FailureThreshold = failureThreshold;
        ResetTimeout = resetTimeout;
        _resetMs = (ulong)(resetTimeout.Ticks / TimeSpan.TicksPerMillisecond);
        _time = time ?? TimeProvider.System;
        _epoch = _time.GetTimestamp();
        // Stamp 1, not 0: a default(CircuitLease) has stamp 0 and so never matches a real generation.
        _word = Pack(Closed, 1);
    }

    /// <summary>
    /// Raised after each state change, on the thread that made it (for logging and metrics; keep it short and
    /// do not throw). Under contention two changes may be reported out of order; <see cref="State"/> is the truth.
    /// </summary>
    public event Action<CircuitStateChange>? StateChanged;

    /// <summary>Consecutive failures that open the circuit.</summary>
    public int FailureThreshold { get; }

    /// <summary>Open time before a trial request is let through.</summary>
    public TimeSpan ResetTimeout { get; }

    /// <summary>The current state.</summary>
    public CircuitState State => ToPublic(StateOf(Volatile.Read(ref _word)));

    /// <summary>Consecutive failures counted so far while closed (0 in the other states).</summary>
    public int ConsecutiveFailures
    {
        get
        {
            var word = Volatile.Read(ref _word);
            return StateOf(word) == Closed ? FailuresOf(word) : 0;
        }
    }

    /// <summary>
    /// How long until a request may be let through again: zero while closed (or while a half-open trial seat is
    /// free); while open, the time left until the trial; while a trial runs, the time after which a lost trial
    /// would be replaced. For the <c>Retry-After</c> of a 503.
    /// </summary>
    public TimeSpan RetryAfter
    {
        get
        {
            var word = Volatile.Read(ref _word);
            var due = StateOf(word) switch
            {
                Open => StampOf(word),
                HalfOpen => StampOf(word) + _resetMs,
                _ => 0UL,
            };
            if (due == 0)
            {
                return TimeSpan.Zero;
            }
            var now = NowMs();
            return due > now ? TimeSpan.FromMilliseconds(due - now) : TimeSpan.Zero;
        }
    }

    /// <summary>
    /// Asks to send one upstream attempt. True with a lease to give back through <see cref="Record"/> (or
    /// <see cref="RecordSuccess"/>, <see cref="RecordFailure"/>, <see cref="Abandon"/>); false when the circuit
    /// is open or a half-open trial is already running — answer 503 with <see cref="RetryAfter"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAcquire(out CircuitLease lease)
    {
        var word = Volatile.Read(ref _word);
        if (StateOf(word) == Closed)
        {
            lease = new CircuitLease(Generation(word));
            return true;
        }
        return TryAcquireSlow(word, out lease);
    }

    /// <summary>Gives a lease back with the attempt's outcome.</summary>
    public void Record(in CircuitLease lease, CircuitOutcome outcome)
    {
        switch (outcome)
        {
            case CircuitOutcome.Success:
                RecordSuccess(lease);
                break;
            case CircuitOutcome.Failure:
                RecordFailure(lease);
                break;
            default:
                Abandon(lease);
                break;
        }
    }

    /// <summary>The upstream answered: clears the failure streak; a successful trial closes the circuit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RecordSuccess(in CircuitLease lease)
    {
        // Hot path: closed, same generation, no failure streak to clear — nothing to write.
        var word = Volatile.Read(ref _word);
        if (word != lease.Stamp || StateOf(word) != Closed)
        {
            RecordSuccessSlow(lease.Stamp);
        }
    }

    /// <summary>The upstream failed: one more consecutive failure (the circuit opens at the threshold); a failed trial reopens it.</summary>
    public void RecordFailure(in CircuitLease lease)
    {
        var word = Volatile.Read(ref _word);
        while (Generation(word) == lease.Stamp)
        {
            ulong next;
            var state = StateOf(word);
            if (state == Closed && FailuresOf(word) + 1 < FailureThreshold)
            {
                next = word + OneFailure;
            }
            else if (state is Closed or HalfOpen)
            {
                next = Pack(Open, Math.Max(NowMs() + _resetMs, StampOf(word) + 1));
            }
            else
            {
                return;
            }

            var seen = Interlocked.CompareExchange(ref _word, next, word);
            if (seen == word)
            {
                if (StateOf(next) == Open)
                {
                    Raise(ToPublic(state), CircuitState.Open);
                }
                return;
            }
            word = seen;
        }
    }

    /// <summary>
    /// Gives a lease back without a verdict (the client left before the upstream answered). A closed lease
    /// changes nothing; an abandoned trial frees the trial seat so the next request becomes the trial at once.
    /// </summary>
    public void Abandon(in CircuitLease lease)
    {
        var word = Volatile.Read(ref _word);
        while (Generation(word) == lease.Stamp && StateOf(word) == HalfOpen)
        {
            // Same stamp, different state: the abandoned lease no longer matches anything.
            var seen = Interlocked.CompareExchange(ref _word, Pack(Vacant, StampOf(word)), word);
            if (seen == word)
            {
                return;
            }
            word = seen;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryAcquireSlow(ulong word, out CircuitLease lease)
    {
        while (true)
        {
            var state = StateOf(word);
            if (state == Closed)
            {
                lease = new CircuitLease(Generation(word));
                return true;
            }

            var stamp = StampOf(word);
            var now = NowMs();
            var due = state switch
            {
                Open => stamp,                 // the trial time
                HalfOpen => stamp + _resetMs,  // a trial runs; replace it only if it looks lost
                _ => 0UL,                      // vacant seat
            };
            if (now < due)
            {
                lease = default;
                return false;
            }

            // One CAS from this exact word: of all threads that read it, one wins the trial. After an abandoned
            // trial the stamp must move on, so that the abandoned lease cannot match the new trial.
            var trial = Pack(HalfOpen, state == Vacant ? Math.Max(now, stamp + 1) : Math.Max(now, stamp));
            var seen = Interlocked.CompareExchange(ref _word, trial, word);
            if (seen == word)
            {
                lease = new CircuitLease(trial);
                if (state == Open)
                {
                    Raise(CircuitState.Open, CircuitState.HalfOpen);
                }
                return true;
            }
            word = seen;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordSuccessSlow(ulong leaseStamp)
    {
        var word = Volatile.Read(ref _word);
        while (Generation(word) == leaseStamp)
        {
            ulong next;
            var state = StateOf(word);
            if (state == Closed)
            {
                if (FailuresOf(word) == 0)
                {
                    return;
                }
                next = Generation(word);
            }
            else if (state == HalfOpen)
            {
                next = Pack(Closed, Math.Max(NowMs(), StampOf(word)));
            }
            else
            {
                return;
            }

            var seen = Interlocked.CompareExchange(ref _word, next, word);
            if (seen == word)
            {
                if (state == HalfOpen)
                {
                    Raise(CircuitState.HalfOpen, CircuitState.Closed);
                }
                return;
            }
            word = seen;
        }
    }

    private ulong NowMs()
    {
        var ticks = _time.GetElapsedTime(_epoch).Ticks;
        return ticks > 0 ? (ulong)(ticks / TimeSpan.TicksPerMillisecond) : 0UL;
    }

    private void Raise(CircuitState from, CircuitState to) => StateChanged?.Invoke(new CircuitStateChange(from, to));
}
