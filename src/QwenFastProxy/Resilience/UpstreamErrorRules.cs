using System.Text;

namespace QwenFastProxy.Resilience;

/// <summary>
/// The table that sorts an upstream error answer by status, code and message. Qwen's plans word both their
/// per-minute token limits and their billing refusals as a "quota", so the word decides nothing: the code and the
/// message together do. First matching row wins; no row means the status alone decides
/// (<see cref="UpstreamFailureClassifier.Classify(int, ReadOnlySpan{byte})"/>).
/// </summary>
internal static class UpstreamErrorRules
{
    private static readonly int[] Billable = [400, 403, 429];
    private static readonly int[] ModelStatuses = [400, 404];

    // Codes compare with the error's code or its type (OpenAI style sends insufficient_quota in both, sometimes
    // only the type); messages must contain every listed fragment. Both ignore ASCII case.
    private static readonly Rule[] Rows =
    [
        // Billing: not retried, whatever the status (these come as 400, 403 or 429). A 401 is never billing: it
        // belongs to the token provider, whatever its body says.
        // DashScope: the account is overdue.
        new(Billable, "Arrearage", [], UpstreamOutcome.QuotaExhausted, UpstreamErrorKind.Arrearage),
        // DashScope: the plan or the model's product is not bought (or has lapsed).
        new(Billable, "CommodityNotPurchased", [], UpstreamOutcome.QuotaExhausted, UpstreamErrorKind.NotPurchased),
        // DashScope's free tier (Throttling.AllocationQuota) and Qwen OAuth (sometimes no code at all): the free
        // allocation is used up. Before the per-minute row below, which shares the code.
        new(Billable, null, ["free allocated quota"], UpstreamOutcome.QuotaExhausted, UpstreamErrorKind.FreeAllocationUsedUp),
        // OpenAI-compatible mode's billing refusal, as code or type.
        new(Billable, "insufficient_quota", [], UpstreamOutcome.QuotaExhausted, UpstreamErrorKind.InsufficientQuota),

        // Per-minute token limits of Coding Plan and Token Plan: "Allocated quota exceeded, please increase your
        // quota limit" / "You exceeded your current quota, please check your plan" with a throttling code clear
        // within a minute, so they are retried like rate_limit_exceeded. A 429 with no row is throttling anyway;
        // these rows name the kind.
        new([429], "Throttling.AllocationQuota", [], UpstreamOutcome.RateLimited, UpstreamErrorKind.PerMinuteQuota),
        new([429], "rate_limit_exceeded", ["quota"], UpstreamOutcome.RateLimited, UpstreamErrorKind.PerMinuteQuota),
        new([429], "Throttling", ["quota"], UpstreamOutcome.RateLimited, UpstreamErrorKind.PerMinuteQuota),

        // A 403 worded as a quota was never a refused token: not retried and not renewed, as before plans were
        // told apart (no plan is known to send one).
        new([403], null, ["quota exceeded"], UpstreamOutcome.QuotaExhausted, UpstreamErrorKind.None),
        new([403], null, ["exceeded your current quota"], UpstreamOutcome.QuotaExhausted, UpstreamErrorKind.None),

        // Keys on the wrong host. Coding Plan answers a general DashScope key this way.
        new([401], null, ["invalid access token"], UpstreamOutcome.AuthRejected, UpstreamErrorKind.InvalidAccessToken),
        // The standard hosts answer a Coding Plan (sk-sp-) or Token Plan key this way.
        new([403], null, ["invalid api-key"], UpstreamOutcome.AuthRejected, UpstreamErrorKind.InvalidApiKey),

        // Coding Plan decides "coding agent" by User-Agent; its body is {"error":"…"}, no code.
        new([405], null, ["only available for coding agents"], UpstreamOutcome.ClientError, UpstreamErrorKind.CodingAgentsOnly),

        // Model names are case-sensitive: "model 'x' is not supported", "The model `x` does not exist".
        new(ModelStatuses, "model_not_found", [], UpstreamOutcome.ClientError, UpstreamErrorKind.ModelNotSupported),
        new(ModelStatuses, null, ["model", "is not supported"], UpstreamOutcome.ClientError, UpstreamErrorKind.ModelNotSupported),
        new(ModelStatuses, null, ["model", "does not exist"], UpstreamOutcome.ClientError, UpstreamErrorKind.ModelNotSupported),
    ];

    /// <summary>The first row matching the answer, as its outcome and kind; false when none does.</summary>
    public static bool TryMatch(int status, scoped in UpstreamErrorFields error, out UpstreamOutcome outcome, out UpstreamErrorKind kind)
    {
        foreach (var row in Rows)
        {
            if (row.Matches(status, error))
            {
                outcome = row.Outcome;
                kind = row.Kind;
                return true;
            }
        }
        outcome = default;
        kind = UpstreamErrorKind.None;
        return false;
    }

    // The official Qwen Code client's markers of a refused token in an error message, lower case.
    private static readonly byte[][] TokenRefusalMarkers =
        [.. new[] { "unauthorized", "forbidden", "invalid api key", "invalid access token", "token expired" }.Select(Encoding.ASCII.GetBytes)];

    /// <summary>True when an error body words a refused token as the official client recognises it (a 400 may).</summary>
    public static bool SaysTokenRefused(ReadOnlySpan<byte> body)
    {
        foreach (var marker in TokenRefusalMarkers)
        {
            if (ContainsIgnoreCase(body, marker))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when one of the statuses of the table's rows: only these answers need their body read.</summary>
    public static bool Covers(int status) => status is 400 or 401 or 403 or 404 or 405 or 429;

    /// <summary>ASCII case-insensitive search for a lower-case <paramref name="needle"/>.</summary>
    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> needle)
    {
        var first = needle[0];
        var firstUpper = first is >= (byte)'a' and <= (byte)'z' ? (byte)(first - 'a' + 'A') : first;
        var at = 0;
        while (text.Length - at >= needle.Length)
        {
            var hit = text[at..].IndexOfAny(first, firstUpper);
            if (hit < 0 || text.Length - (at + hit) < needle.Length)
            {
                return false;
            }
            at += hit;
            if (Ascii.EqualsIgnoreCase(text.Slice(at, needle.Length), needle))
            {
                return true;
            }
            at++;
        }
        return false;
    }

    private sealed class Rule
    {
        private readonly int[] _statuses;
        private readonly byte[]? _code;
        private readonly byte[][] _fragments;

        public Rule(int[] statuses, string? code, string[] messageFragments, UpstreamOutcome outcome, UpstreamErrorKind kind)
        {
            _statuses = statuses;
            _code = code is null ? null : Encoding.ASCII.GetBytes(code);
            _fragments = Array.ConvertAll(messageFragments, static f => Encoding.ASCII.GetBytes(f.ToLowerInvariant()));
            Outcome = outcome;
            Kind = kind;
        }

        public UpstreamOutcome Outcome { get; }

        public UpstreamErrorKind Kind { get; }

        public bool Matches(int status, scoped in UpstreamErrorFields error)
        {
            if (Array.IndexOf(_statuses, status) < 0)
            {
                return false;
            }
            if (_code is not null && !Ascii.EqualsIgnoreCase(error.Code, _code) && !Ascii.EqualsIgnoreCase(error.Type, _code))
            {
                return false;
            }
            foreach (var fragment in _fragments)
            {
                if (!ContainsIgnoreCase(error.Message, fragment))
                {
                    return false;
                }
            }
            return true;
        }
    }
}
