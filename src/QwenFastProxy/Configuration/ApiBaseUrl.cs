using System.Diagnostics.CodeAnalysis;
namespace QwenFastProxy.Configuration;

/// <summary>Normalises and chooses the upstream API base (<c>QWEN_API_BASE_URL</c>, <c>resource_url</c>).</summary>
public static class ApiBaseUrl
{
    /// <summary>The OAuth-mode base when neither <c>QWEN_API_BASE_URL</c> nor the credentials name one.</summary>
    public const string OAuthDefault = "https://portal.qwen.ai/v1";

    /// <summary>The API-key-mode base (DashScope international, OpenAI-compatible mode).</summary>
    public const string ApiKeyDefault = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1";

    private const string VersionSuffix = "/v1";

    /// <summary>
    /// Normalises as the Go proxy this one replaces did, so its users' settings keep working: no scheme means <c>https://</c>, an explicit <c>http://</c> is kept,
    /// trailing slashes are removed and a missing <c>/v1</c> suffix is added
    /// (<c>portal.qwen.ai</c> → <c>https://portal.qwen.ai/v1</c>). Returns false for anything that is not an
    /// http(s) URL or host name: other schemes, no host, user info, a query or a fragment, white space.
    /// </summary>
    public static bool TryNormalize(string? raw, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        string value = raw?.Trim() ?? string.Empty;
        if (value.Length == 0 || value.Any(char.IsWhiteSpace))
        {
            return false;
        }

        int schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            value = "https://" + value;
        }
        else
        {
            string scheme = value[..schemeEnd];
            if (!scheme.Equals(Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase)
                && !scheme.Equals(Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri)
            || uri.Host.Length == 0
            || Uri.CheckHostName(uri.IdnHost) == UriHostNameType.Unknown
            || uri.UserInfo.Length > 0
            || uri.Query.Length > 0
            || uri.Fragment.Length > 0)
        {
            return false;
        }

        string withoutSlash = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        normalized = withoutSlash.EndsWith(VersionSuffix, StringComparison.OrdinalIgnoreCase)
            ? withoutSlash
            : withoutSlash + VersionSuffix;
        return true;
    }

    /// <summary>
    /// The rule: <c>QWEN_API_BASE_URL</c> if set; else, in API-key mode, the plan's base or <see cref="ApiKeyDefault"/>;
    /// else the credentials' <c>resource_url</c> normalised (when it normalises); else <see cref="OAuthDefault"/>.
    /// </summary>
    /// <param name="options">The proxy's options.</param>
    /// <param name="resourceUrl">The saved OAuth credentials' <c>resource_url</c>, if any.</param>
    public static string Resolve(ProxyOptions options, string? resourceUrl)
    {
        ArgumentNullException.ThrowIfNull(options);

        if (options.ApiBaseUrl is { } forced)
        {
            // OptionsLoader already normalised it; embedders may set it directly.
            return TryNormalize(forced, out string? normalizedForced) ? normalizedForced : forced;
        }

        if (options.ApiKeyMode)
        {
            return options.Plan?.OpenAiBaseUrl ?? ApiKeyDefault;
        }

        if (TryNormalize(resourceUrl, out string? fromCredentials))
        {
            return fromCredentials;
        }

        return OAuthDefault;
    }

    /// <summary>
    /// The Anthropic-compatible base for <c>/v1/messages</c>: QWEN_ANTHROPIC_BASE_URL when given, else the API base's
    /// origin with <c>/apps/anthropic</c>, where Qwen's plans serve it beside the OpenAI-compatible API.
    /// </summary>
    public static string AnthropicFor(string? configured, string apiBase) =>
        configured ?? new Uri(apiBase).GetLeftPart(UriPartial.Authority) + "/apps/anthropic";
}
