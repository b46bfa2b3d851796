namespace QwenFastProxy.Resilience;

/// <summary>
/// Permission for one upstream attempt, handed out by <see cref="CircuitBreaker.TryAcquire"/> and given back with
/// the attempt's outcome. A value, so acquiring one allocates nothing. It remembers the breaker's state and
/// generation at the time it was issued, so the outcome of an attempt that started in an earlier period (before
/// the circuit opened, or a trial that was replaced) cannot move the breaker.
/// </summary>
internal readonly struct CircuitLease : IEquatable<CircuitLease>
{
    internal CircuitLease(ulong stamp) => Stamp = stamp;

    /// <summary>The breaker's word when the lease was issued, failure count cleared; 0 is never issued.</summary>
    internal ulong Stamp { get; }

    /// <summary>True for the single trial request of a half-open circuit.</summary>
    public bool IsTrial => CircuitWord.StateOf(Stamp) == CircuitWord.HalfOpen;

    /// <inheritdoc />
    public bool Equals(CircuitLease other) => Stamp == other.Stamp;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CircuitLease other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Stamp.GetHashCode();

    /// <summary>Equality of the issuing state and generation.</summary>
    public static bool operator ==(CircuitLease left, CircuitLease right) => left.Equals(right);

    /// <summary>Inequality of the issuing state and generation.</summary>
    public static bool operator !=(CircuitLease left, CircuitLease right) => !left.Equals(right);
}
