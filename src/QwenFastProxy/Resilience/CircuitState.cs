namespace QwenFastProxy.Resilience;

/// <summary>The state of a <see cref="CircuitBreaker"/>.</summary>
public enum CircuitState
{
    /// <summary>Requests flow; consecutive failures are counted.</summary>
    Closed = 0,

    /// <summary>Requests are refused without an upstream call until the reset time has passed.</summary>
    Open = 1,

    /// <summary>The reset time has passed: one trial request decides between Closed and Open.</summary>
    HalfOpen = 2,
}
