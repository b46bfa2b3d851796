using System.Globalization;

namespace QwenFastProxy.Simulator;

/// <summary>The fault one request gets: parsed from <c>X-Sim-Fault</c> or drawn from <see cref="FaultSettings"/>.</summary>
internal sealed class FaultPlan
{
    private int _chunk;

    public FaultPlan(SimulatedFault kind, int afterChunks, int retryAfterSeconds)
    {
        Kind = kind;
        AfterChunks = afterChunks;
        RetryAfterSeconds = retryAfterSeconds;
    }

    public SimulatedFault Kind { get; }

    /// <summary>Content chunks delivered before a mid-stream fault strikes.</summary>
    public int AfterChunks { get; }

    /// <summary><c>Retry-After</c> seconds to send, or -1 for none.</summary>
    public int RetryAfterSeconds { get; }

    /// <summary>Called before each content chunk of a stream (one request, one thread at a time): true when the fault strikes now.</summary>
    public bool StrikesBeforeNextChunk() => _chunk++ == AfterChunks;

    /// <summary>Defaults per kind: mid-stream faults let one chunk through (a stall none); a 429 says "retry after 1 s".</summary>
    public static FaultPlan WithDefaults(SimulatedFault kind, int? afterChunks = null, int? retryAfterSeconds = null) => new(
        kind,
        afterChunks ?? (kind == SimulatedFault.Stall ? 0 : 1),
        retryAfterSeconds ?? (kind == SimulatedFault.RateLimited ? 1 : -1));

    /// <summary>Parses <c>kind[;after=N][;first=N][;retry-after=N]</c>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string header, out FaultPlan? plan, out int? first, out string? error)
    {
        plan = null;
        first = null;
        var parts = header.Split(';', StringSplitOptions.TrimEntries);
        if (!TryParseKind(parts[0], out var kind))
        {
            error = $"{FaultHeaders.Fault}: unknown fault '{parts[0]}' (500, 502, 503, 429, rate-limit, quota, reset, reset-mid-stream, malformed, stall, "
                + "plan-quota, arrearage, not-purchased, free-quota, coding-plan-key, invalid-api-key, coding-agents-only, model-not-supported, model-not-found, "
                + "529, overloaded, context-overflow).";
            return false;
        }

        int? after = null, retryAfter = null;
        foreach (var part in parts.AsSpan(1))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? part : part[..equals].Trim();
            if (equals < 0 || !int.TryParse(part.AsSpan(equals + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                error = $"{FaultHeaders.Fault}: '{part}' is not name=N with N a non-negative integer.";
                return false;
            }
            switch (name.ToLowerInvariant())
            {
                case "after":
                    after = value;
                    break;
                case "first":
                    first = value;
                    break;
                case "retry-after":
                    retryAfter = value;
                    break;
                default:
                    error = $"{FaultHeaders.Fault}: unknown parameter '{name}' (after, first, retry-after).";
                    return false;
            }
        }

        plan = WithDefaults(kind, after, retryAfter);
        error = null;
        return true;
    }

    internal static bool TryParseKind(string name, out SimulatedFault kind)
    {
        kind = name.ToLowerInvariant() switch
        {
            "500" => SimulatedFault.InternalServerError,
            "502" => SimulatedFault.BadGateway,
            "503" => SimulatedFault.ServiceUnavailable,
            "429" or "rate-limit" => SimulatedFault.RateLimited,
            "quota" => SimulatedFault.QuotaExhausted,
            "reset" => SimulatedFault.ResetBeforeHeaders,
            "reset-mid-stream" => SimulatedFault.ResetMidStream,
            "malformed" => SimulatedFault.MalformedFrame,
            "stall" => SimulatedFault.Stall,
            "plan-quota" => SimulatedFault.PlanPerMinuteQuota,
            "arrearage" => SimulatedFault.Arrearage,
            "not-purchased" => SimulatedFault.CommodityNotPurchased,
            "free-quota" => SimulatedFault.FreeAllocationUsedUp,
            "coding-plan-key" => SimulatedFault.GeneralKeyOnCodingPlan,
            "invalid-api-key" => SimulatedFault.InvalidApiKey,
            "coding-agents-only" => SimulatedFault.CodingAgentsOnly,
            "model-not-supported" => SimulatedFault.ModelNotSupported,
            "model-not-found" => SimulatedFault.ModelNotFound,
            "529" or "overloaded" => SimulatedFault.Overloaded,
            "context-overflow" => SimulatedFault.ContextOverflow,
            _ => SimulatedFault.None,
        };
        return kind != SimulatedFault.None;
    }
}
