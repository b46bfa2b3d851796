namespace QwenFastProxy.Resilience;

/// <summary>What one upstream attempt tells the <see cref="CircuitBreaker"/> (see <see cref="CircuitBreaker.Record"/>).</summary>
public enum CircuitOutcome
{
    /// <summary>The upstream answered: it is reachable and working, even if the answer was an error of the request's own making.</summary>
    Success = 0,

    /// <summary>The upstream is unreachable or failing: one more consecutive failure.</summary>
    Failure = 1,

    /// <summary>Nothing was learnt (the client left first): the lease is given back without a verdict.</summary>
    Abandoned = 2,
}
