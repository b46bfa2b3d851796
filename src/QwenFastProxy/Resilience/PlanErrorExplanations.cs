using System.Text;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;

namespace QwenFastProxy.Resilience;

/// <summary>
/// The proxy's reading of upstream refusals whose own words mislead (a key on the wrong plan's host, Coding Plan's
/// caller check, billing worded as a quota, a model name in the wrong case). The client gets the upstream's status
/// and code with this explanation in front of the upstream's message; every other answer is relayed as it is.
/// </summary>
internal static class PlanErrorExplanations
{
    private const string GeneralKeyOnCodingPlan =
        "The Coding Plan host refused the API key: it is probably a general DashScope (pay-as-you-go) key. Use the Coding Plan key (sk-sp-...), "
        + "or set QWEN_PLAN to the plan of this key (standard-intl, standard-cn, ...) and unset QWEN_API_BASE_URL if it points here.";

    private const string PlanKeyOnOtherHost =
        "The upstream refused the API key: it is probably a Coding Plan key (sk-sp-...) or a Token Plan key, which only work on their plan's host. "
        + "Set QWEN_PLAN to that plan (coding-plan-intl, coding-plan-cn, token-plan-sg, token-plan-cn) and unset QWEN_API_BASE_URL if it points elsewhere.";

    private const string CodingAgentsOnly =
        "Coding Plan serves only coding agents, which it recognises by the User-Agent header; the proxy passes on the calling client's. "
        + "Call it from a coding agent, set QWEN_USER_AGENT to a coding agent's User-Agent, or use a pay-as-you-go key with a standard-* QWEN_PLAN.";

    private const string Billing = "This is billing, not a rate limit, so the proxy did not retry it: ";

    private const string Arrearage = Billing + "the Alibaba Cloud account is overdue. Settle the account's balance, then retry.";

    private const string NotPurchased = Billing
        + "the plan (or the model's product) this key needs has not been bought or has lapsed. Check the subscription in the Model Studio console.";

    private const string FreeAllocationUsedUp = Billing
        + "the free allocation is used up. Enable paid usage or buy a plan in the Model Studio console.";

    private const string InsufficientQuota = Billing + "the account has nothing left to bill against. Check its balance and plan.";

    /// <summary>True for the upstream hosts of Coding Plan, whose keys (sk-sp-) work nowhere else and which take no other key.</summary>
    public static bool IsCodingPlanHost(string host) =>
        QwenPlan.OfHost(host)?.CodingAgentsOnly == true;

    /// <summary>The proxy's answer for an upstream error worth explaining; false to relay the upstream's answer as it is.</summary>
    /// <param name="host">The host the request went to (decides what a refused key means).</param>
    /// <param name="apiKeyMode">True when the upstream credential is an API key rather than an OAuth token.</param>
    /// <param name="status">The upstream's status.</param>
    /// <param name="body">The upstream's whole error body.</param>
    /// <param name="model">The model the client asked for, if known.</param>
    /// <param name="error">The answer: the upstream's status and code (or a proxy code), the explanation, then the upstream's message.</param>
    public static bool TryExplain(string host, bool apiKeyMode, int status, ReadOnlySpan<byte> body, string? model, out HttpError error)
    {
        ArgumentNullException.ThrowIfNull(host);
        error = default;
        if (body.IsEmpty || !UpstreamErrorRules.Covers(status))
        {
            return false;
        }

        Span<byte> small = stackalloc byte[3 * UpstreamErrorBody.ScratchBytesPerField];
        if (!UpstreamErrorRules.TryMatch(status, UpstreamErrorBody.Read(body, small), out _, out var kind))
        {
            return false;
        }
        var explanation = kind switch
        {
            UpstreamErrorKind.InvalidAccessToken when apiKeyMode && IsCodingPlanHost(host) => GeneralKeyOnCodingPlan,
            UpstreamErrorKind.InvalidApiKey when apiKeyMode && !IsCodingPlanHost(host) => PlanKeyOnOtherHost,
            UpstreamErrorKind.CodingAgentsOnly => CodingAgentsOnly,
            UpstreamErrorKind.Arrearage => Arrearage,
            UpstreamErrorKind.NotPurchased => NotPurchased,
            UpstreamErrorKind.FreeAllocationUsedUp => FreeAllocationUsedUp,
            UpstreamErrorKind.InsufficientQuota => InsufficientQuota,
            UpstreamErrorKind.ModelNotSupported => ModelNames(model),
            _ => null,
        };
        if (explanation is null)
        {
            return false;
        }

        // Read again with room for the whole message, escapes resolved: the client sees it as the upstream wrote it.
        var fields = UpstreamErrorBody.Read(body, new byte[3 * body.Length]);
        var code = fields.Code.IsEmpty ? ProxyCode(kind) : Encoding.UTF8.GetString(fields.Code);
        error = ProxyErrors.Explained(status, explanation, Encoding.UTF8.GetString(fields.Message), code);
        return true;
    }

    private static string ModelNames(string? model) => model is null
        ? "Model names are case-sensitive and must be one the upstream serves for this key's plan: check the requested model's spelling and case."
        : $"Model names are case-sensitive and must be one the upstream serves for this key's plan: the request asked for '{model}'; check its spelling and case.";

    // For answers without a code of their own (Coding Plan's 405 is {"error":"…"}).
    private static string ProxyCode(UpstreamErrorKind kind) => kind switch
    {
        UpstreamErrorKind.InvalidAccessToken or UpstreamErrorKind.InvalidApiKey => "invalid_api_key",
        UpstreamErrorKind.CodingAgentsOnly => "coding_agents_only",
        UpstreamErrorKind.ModelNotSupported => "model_not_supported",
        _ => "billing",
    };
}
