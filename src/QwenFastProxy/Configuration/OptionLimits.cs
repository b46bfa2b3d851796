namespace QwenFastProxy.Configuration;

/// <summary>The accepted ranges of the settings, with the reason for each bound.</summary>
internal static class OptionLimits
{
    /// <summary>Port 0 asks the OS for an ephemeral port: useful for tests and embedders that read the bound port back.</summary>
    public const int MinPort = 0;

    /// <summary>The largest TCP port.</summary>
    public const int MaxPort = 65535;

    /// <summary>A timeout of 0 would fail every request at once, so timeouts start at one second.</summary>
    public const int MinTimeoutSeconds = 1;

    /// <summary>One day: no single request sensibly lasts longer, and it stays far below the ~24.8-day ceiling of
    /// <c>HttpClient.Timeout</c> and of timers.</summary>
    public const int MaxTimeoutSeconds = 86_400;

    /// <summary>An upstream pool that may keep no connection cannot reuse anything; at least one.</summary>
    public const int MinConnections = 1;

    /// <summary>0 is meaningful: end a stream at the first malformed upstream chunk.</summary>
    public const int MinStreamingMaxErrors = 0;

    /// <summary>Below 256 bytes the smart buffer flushes almost every token and stops saving writes.</summary>
    public const int MinStreamingBufferSize = 256;

    /// <summary>Above 1 MiB the buffer would hold text back from the client for visibly long.</summary>
    public const int MaxStreamingBufferSize = 1_048_576;

    /// <summary>0 disables retries.</summary>
    public const int MinRetryAttempts = 0;

    /// <summary>More retries only multiply load on a failing upstream and delay the error the client needs.</summary>
    public const int MaxRetryAttempts = 10;

    /// <summary>0 failures would open the circuit before the first request.</summary>
    public const int MinCircuitBreakerFailures = 1;

    /// <summary>The circuit breaker packs its failure count into 22 bits of one word.</summary>
    public const int MaxCircuitBreakerFailures = Resilience.CircuitBreaker.MaxFailureThreshold;

    /// <summary>A body limit of 0 would refuse every chat request.</summary>
    public const long MinRequestBodyBytes = 1;

    /// <summary>Bodies are held whole in one array (they are replayed on retry), and .NET arrays stop at 2 GiB.</summary>
    public const long MaxRequestBodyBytes = 2_147_483_591; // Array.MaxLength

    /// <summary>Below 1 KiB ordinary requests (an <c>Authorization</c> header, a user agent) already fail.</summary>
    public const int MinRequestHeaderBytes = 1024;

    /// <summary>Header bytes are held per connection before any key check; 1 MiB is already generous.</summary>
    public const int MaxRequestHeaderBytes = 1_048_576;
}
