namespace QwenFastProxy.Resilience;

/// <summary>
/// The layout of <see cref="CircuitBreaker"/>'s single 64-bit state word. Everything a decision needs lives in
/// one word so that every transition is one compare-and-swap: no lock, and no moment where a reader can see a
/// new state with an old timestamp.
/// </summary>
/// <remarks>
/// <code>
/// bits  0-1   state: 0 Closed, 1 Open, 2 HalfOpen (trial in flight), 3 HalfOpen with the trial seat vacant
/// bits  2-23  consecutive failures (meaningful while Closed; 22 bits)
/// bits 24-63  stamp: milliseconds since the breaker was created (40 bits, about 34 years of uptime)
///               Closed   — the generation: when the circuit (re)closed
///               Open     — when the next trial may start
///               HalfOpen — when the trial started
/// </code>
/// Stamps never decrease, and a state that hands out leases (Closed, HalfOpen) is never re-entered with a stamp
/// it had before: opening moves the stamp at least one reset time ahead, and a trial that follows an abandoned one
/// takes <c>max(now, previous + 1)</c>. So a (state, stamp) pair is never reused: it is the generation leases
/// carry, and no ABA can let an old lease act on a newer period.
/// </remarks>
internal static class CircuitWord
{
    public const ulong Closed = 0;
    public const ulong Open = 1;
    public const ulong HalfOpen = 2;

    /// <summary>Half-open, but the trial was abandoned (its client left): the next caller becomes the trial.</summary>
    public const ulong Vacant = 3;

    public const ulong StateMask = 0b11;
    public const int FailureShift = 2;
    public const int FailureBits = 22;
    public const int StampShift = FailureShift + FailureBits;
    public const ulong FailureMask = ((1UL << FailureBits) - 1) << FailureShift;
    public const ulong OneFailure = 1UL << FailureShift;

    public static ulong StateOf(ulong word) => word & StateMask;

    public static int FailuresOf(ulong word) => (int)((word & FailureMask) >> FailureShift);

    public static ulong StampOf(ulong word) => word >> StampShift;

    /// <summary>A word with no failures counted.</summary>
    public static ulong Pack(ulong state, ulong stamp) => (stamp << StampShift) | state;

    /// <summary>The part of a word a lease must match: state and stamp.</summary>
    public static ulong Generation(ulong word) => word & ~FailureMask;

    public static CircuitState ToPublic(ulong state) => state == Vacant ? CircuitState.HalfOpen : (CircuitState)state;
}
