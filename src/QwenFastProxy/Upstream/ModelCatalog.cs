namespace QwenFastProxy.Upstream;

/// <summary>The models of Qwen's OAuth tier, and the rule that maps anything else to the default.</summary>
internal static class ModelCatalog
{
    /// <summary>Models accepted as they are in OAuth mode, all listed by <c>GET /v1/models</c>.</summary>
    public static readonly string[] OAuthModels = ["qwen3-coder-plus", "qwen3-coder-flash", "coder-model", "vision-model"];

    private static readonly byte[][] OAuthModelBytes = OAuthModels.Select(m => System.Text.Encoding.UTF8.GetBytes(m)).ToArray();

    /// <summary>The known model named by <paramref name="utf8"/>, as a cached string, or null.</summary>
    public static string? FindOAuthModel(ReadOnlySpan<byte> utf8)
    {
        for (var i = 0; i < OAuthModelBytes.Length; i++)
        {
            if (utf8.SequenceEqual(OAuthModelBytes[i]))
            {
                return OAuthModels[i];
            }
        }
        return null;
    }

    /// <summary>
    /// Whether a model has Qwen's thinking switch (<c>enable_thinking</c>), so a Messages request's <c>thinking</c> can
    /// turn it on or off: the hybrid Qwen3 family and the commercial plus/flash/turbo lines; not the coder models, the
    /// instruct-only releases or qwen3-max, which answer without thinking and may refuse the switch.
    /// </summary>
    public static bool Thinks(string model)
    {
        var name = model.ToLowerInvariant();
        if (name.Contains("coder", StringComparison.Ordinal) || name.Contains("instruct", StringComparison.Ordinal)
            || name.Contains("max", StringComparison.Ordinal) || name.Contains("vl", StringComparison.Ordinal))
        {
            return false;
        }
        return name.StartsWith("qwen3", StringComparison.Ordinal) || name.StartsWith("qwen-plus", StringComparison.Ordinal)
            || name.StartsWith("qwen-flash", StringComparison.Ordinal) || name.StartsWith("qwen-turbo", StringComparison.Ordinal)
            || name.StartsWith("qwq", StringComparison.Ordinal);
    }
}
