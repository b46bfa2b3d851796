namespace QwenFastProxy.Configuration;

/// <summary>
/// One of Qwen's API plans (<c>QWEN_PLAN</c>): where its OpenAI-compatible and Anthropic-compatible endpoints are,
/// and what its keys look like. A plan's base is used only when <c>QWEN_API_BASE_URL</c> is not set.
/// </summary>
/// <param name="Name">The <c>QWEN_PLAN</c> value.</param>
/// <param name="OpenAiBaseUrl">The OpenAI-compatible base (ending in <c>/v1</c>); null for <c>custom</c>.</param>
/// <param name="AnthropicBaseUrl">The Anthropic-compatible base (<c>/apps/anthropic</c> on the same host); null for <c>custom</c>.</param>
/// <param name="CodingAgentsOnly">
/// Coding Plan: keys start with <c>sk-sp-</c>, and the host serves only coding agents, recognised by User-Agent
/// (others get 405).
/// </param>
public sealed record QwenPlan(string Name, string? OpenAiBaseUrl, string? AnthropicBaseUrl, bool CodingAgentsOnly)
{
    /// <summary>The key prefix of Coding Plan keys.</summary>
    public const string CodingPlanKeyPrefix = "sk-sp-";

    /// <summary>Every plan, in the order help lists them.</summary>
    public static readonly IReadOnlyList<QwenPlan> All =
    [
        Hosted("coding-plan-cn", "https://coding.dashscope.aliyuncs.com", "/v1", codingAgentsOnly: true),
        Hosted("coding-plan-intl", "https://coding-intl.dashscope.aliyuncs.com", "/v1", codingAgentsOnly: true),
        Hosted("token-plan-cn", "https://token-plan.cn-beijing.maas.aliyuncs.com", "/compatible-mode/v1"),
        Hosted("token-plan-sg", "https://token-plan.ap-southeast-1.maas.aliyuncs.com", "/compatible-mode/v1"),
        Hosted("standard-cn", "https://dashscope.aliyuncs.com", "/compatible-mode/v1"),
        Hosted("standard-intl", "https://dashscope-intl.aliyuncs.com", "/compatible-mode/v1"),
        Hosted("standard-us", "https://dashscope-us.aliyuncs.com", "/compatible-mode/v1"),
        Hosted("standard-hk", "https://cn-hongkong.dashscope.aliyuncs.com", "/compatible-mode/v1"),
        new("custom", null, null, CodingAgentsOnly: false),
    ];

    /// <summary>The host of the plan's endpoints; null for <c>custom</c>.</summary>
    public string? Host { get; private init; }

    /// <summary>The accepted <c>QWEN_PLAN</c> values, for messages.</summary>
    public static string Names => string.Join(", ", All.Select(p => p.Name));

    /// <summary>The plan called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static QwenPlan? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The plan an API key runs under: <c>QWEN_PLAN</c>, else the plan whose host serves <paramref name="baseUrl"/>;
    /// null in OAuth mode and for a base no plan serves.
    /// </summary>
    public static QwenPlan? For(ProxyOptions options, string baseUrl)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ApiKeyMode ? options.Plan ?? ServingHost(baseUrl) : null;
    }

    /// <summary>The plan whose host serves <paramref name="baseUrl"/> (how a forced base is recognised), or null.</summary>
    public static QwenPlan? ServingHost(string? baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) ? OfHost(uri.Host) : null;

    /// <summary>The plan whose endpoints are on <paramref name="host"/> (case-insensitive), or null.</summary>
    public static QwenPlan? OfHost(string host) =>
        All.FirstOrDefault(p => string.Equals(p.Host, host, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A start-up warning when <paramref name="apiKey"/> does not look like a key of this plan (the two mix-ups Qwen
    /// answers with a bare 401 or 403), or null. Never repeats the key.
    /// </summary>
    public string? KeyWarning(string apiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        var isCodingKey = apiKey.StartsWith(CodingPlanKeyPrefix, StringComparison.Ordinal);
        if (CodingAgentsOnly && !isCodingKey)
        {
            return $"QWEN_API_KEY does not start with {CodingPlanKeyPrefix}, as Coding Plan keys do ({Name}); a general "
                + "DashScope key is refused here with 401 \"invalid access token or token expired\". Use the plan's key, or a standard-* plan.";
        }
        if (!CodingAgentsOnly && isCodingKey && OpenAiBaseUrl is not null)
        {
            return $"QWEN_API_KEY starts with {CodingPlanKeyPrefix}, as Coding Plan keys do, but the plan is {Name}; its host "
                + "refuses Coding Plan keys with 403 \"invalid api-key\". Set QWEN_PLAN=coding-plan-intl (or coding-plan-cn).";
        }
        return null;
    }

    private static QwenPlan Hosted(string name, string origin, string openAiPath, bool codingAgentsOnly = false) =>
        new(name, origin + openAiPath, origin + "/apps/anthropic", codingAgentsOnly) { Host = new Uri(origin).Host };
}
