using System.Security.Cryptography;
using System.Text;
using QwenFastProxy.Http;

namespace QwenFastProxy.Auth;

/// <summary>
/// PROXY_API_KEYS: when keys are configured, a client must present one as <c>Authorization: Bearer K</c>
/// or <c>x-api-key: K</c>. Comparison is constant-time so response timing reveals nothing about a key.
/// </summary>
internal sealed class ClientKeyGate
{
    private readonly byte[][] _keys;

    /// <summary>Creates a gate; no keys means every client is let in.</summary>
    public ClientKeyGate(IEnumerable<string> keys) =>
        _keys = keys.Select(k => Encoding.UTF8.GetBytes(k)).ToArray();

    /// <summary>True when the request carries one of the configured keys (or none are configured).</summary>
    public bool Allows(RequestHeaders headers)
    {
        if (_keys.Length == 0)
        {
            return true;
        }
        if (headers.TryGet("Authorization"u8, out var authorization)
            && authorization.Length > 7 && Ascii.EqualsIgnoreCase(authorization[..7], "Bearer "u8)
            && Matches(HttpSyntax.TrimOws(authorization[7..])))
        {
            return true;
        }
        return headers.TryGet("x-api-key"u8, out var apiKey) && Matches(apiKey);
    }

    private bool Matches(ReadOnlySpan<byte> presented)
    {
        var match = false;
        foreach (var key in _keys)
        {
            // FixedTimeEquals is constant-time for equal lengths; differing lengths leak only the length.
            match |= key.Length == presented.Length && CryptographicOperations.FixedTimeEquals(key, presented);
        }
        return match;
    }
}
