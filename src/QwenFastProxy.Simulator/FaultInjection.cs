using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// Per-simulator fault bookkeeping: counts attempts per <c>X-Sim-Request-Id</c> and decides each chat attempt's
/// fault, from its <c>X-Sim-Fault</c> header or else from the seeded <see cref="FaultSettings"/>. Lock-free, so it
/// adds nothing measurable to load runs that use neither.
/// </summary>
internal sealed class FaultInjection
{
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private long _sequence;
    private long _chatAttempts;
    private long _injected;

    /// <summary>Every chat attempt seen, with or without an id or a fault.</summary>
    public long ChatAttempts => Interlocked.Read(ref _chatAttempts);

    /// <summary>Chat attempts answered with a fault drawn from the seeded <see cref="FaultSettings"/>.</summary>
    public long InjectedFaults => Interlocked.Read(ref _injected);

    /// <summary>Chat attempts that carried <paramref name="requestId"/> so far.</summary>
    public int Attempts(string requestId) => _attempts.TryGetValue(requestId, out var count) ? count : 0;

    /// <summary>
    /// Counts the attempt and decides its fault: <paramref name="plan"/> is null for a normal answer. False when
    /// <c>X-Sim-Fault</c> does not parse (answer 400 with <paramref name="error"/>).
    /// </summary>
    public bool TryPlan(IHeaderDictionary headers, FaultSettings settings, out FaultPlan? plan, out string? error)
    {
        plan = null;
        error = null;
        Interlocked.Increment(ref _chatAttempts);
        var header = headers[FaultHeaders.Fault];
        var requestId = headers[FaultHeaders.RequestId];
        var key = requestId.Count > 0 ? requestId[0] ?? string.Empty : header.Count > 0 ? string.Empty : null;
        var attempt = key is null ? 0 : _attempts.AddOrUpdate(key, 1, static (_, count) => count + 1);

        if (header.Count > 0)
        {
            if (!FaultPlan.TryParse(header[0] ?? string.Empty, out var parsed, out var first, out error))
            {
                return false;
            }
            plan = first is { } limit && attempt > limit ? null : parsed;
            return true;
        }

        var rate = settings.Rate;
        var kind = settings.Kind;
        var mix = settings.Mix;
        if (rate > 0 && (kind != SimulatedFault.None || mix.Count > 0))
        {
            var sequence = Interlocked.Increment(ref _sequence);
            if (Draw(settings.Seed, sequence) < rate)
            {
                if (mix.Count > 0)
                {
                    // A second, independent draw picks the kind (the seed's bits flipped, so it is not the first draw).
                    kind = mix[Math.Min(mix.Count - 1, (int)(Draw(~settings.Seed, sequence) * mix.Count))];
                }
                Interlocked.Increment(ref _injected);
                plan = FaultPlan.WithDefaults(kind, settings.AfterChunks, kind == SimulatedFault.RateLimited ? settings.RetryAfterSeconds : null);
            }
        }
        return true;
    }

    /// <summary>A uniform number in [0, 1) that depends only on the seed and the attempt's sequence number (SplitMix64).</summary>
    internal static double Draw(int seed, long sequence)
    {
        var x = unchecked(((ulong)(uint)seed << 32) + (ulong)sequence * 0x9E3779B97F4A7C15UL);
        x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
        x ^= x >> 31;
        return (x >> 11) * (1.0 / (1UL << 53));
    }
}
