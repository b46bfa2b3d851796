using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>The Anthropic route's key check: Anthropic clients send <c>x-api-key</c>, others a bearer token; either may carry the key.</summary>
internal static class AnthropicAuthorization
{
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>Whether <c>x-api-key</c> or <c>Authorization: Bearer</c> carries <paramref name="requiredToken"/>; always true when none is required.</summary>
    public static bool IsAuthorized(HttpRequest request, string? requiredToken)
    {
        if (requiredToken is null)
        {
            return true;
        }

        var apiKey = request.Headers[ApiKeyHeader];
        if (apiKey.Count == 1 && string.Equals(apiKey[0], requiredToken, StringComparison.Ordinal))
        {
            return true;
        }
        return BearerAuthorization.IsAuthorized(request, requiredToken);
    }
}
