using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>The simulator's access-token check (a single static token; OAuth-issued tokens come later).</summary>
internal static class BearerAuthorization
{
    private const string Scheme = "Bearer ";

    /// <summary>
    /// Whether the request carries <c>Authorization: Bearer &lt;token&gt;</c> for <paramref name="requiredToken"/>;
    /// always true when no token is required.
    /// </summary>
    public static bool IsAuthorized(HttpRequest request, string? requiredToken)
    {
        if (requiredToken is null)
        {
            return true;
        }

        var header = request.Headers.Authorization;
        if (header.Count != 1)
        {
            return false;
        }

        // Span comparison: no "Bearer " + token concatenation on every request.
        var value = header[0].AsSpan();
        return value.Length == Scheme.Length + requiredToken.Length
            && value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            && value[Scheme.Length..].SequenceEqual(requiredToken);
    }
}
