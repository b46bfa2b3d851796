namespace QwenFastProxy.Resilience;

/// <summary>A transition of a <see cref="CircuitBreaker"/>, reported to <see cref="CircuitBreaker.StateChanged"/>.</summary>
/// <param name="From">The state before.</param>
/// <param name="To">The state after.</param>
internal readonly record struct CircuitStateChange(CircuitState From, CircuitState To);
