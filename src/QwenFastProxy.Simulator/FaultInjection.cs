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
        if (rate > 0 && kind != SimulatedFault.None && Draw(settings.Seed, Interlocked.Increment(ref _sequence)) < rate)
        {
            plan = FaultPlan.WithDefaults(kind, settings.AfterChunks, kind == SimulatedFault.RateLimited ? settings.RetryAfterSeconds : null);
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
