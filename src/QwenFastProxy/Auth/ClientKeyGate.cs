using System.Security.Cryptography;
using System.Text;
using QwenFastProxy.Http;

namespace QwenFastProxy.Auth;

/// <summary>
/// PROXY_API_KEYS: when keys are configured, a client must present one as <c>Authorization: Bearer K</c>
/// or <c>x-api-key: K</c>. Comparison is constant-time so response timing reveals nothing about a key.
/// Each key is known elsewhere (usage ledger, metrics) only by its label, never by itself.
/// </summary>
internal sealed class ClientKeyGate
{
    /// <summary>The label of every client of a proxy without PROXY_API_KEYS.</summary>
    public const string OpenLabel = "anonymous";

    private readonly byte[][] _keys;
    private readonly string[] _labels;

    /// <summary>Creates a gate; no keys means every client is let in.</summary>
    public ClientKeyGate(IEnumerable<string> keys)
    {
        _keys = keys.Select(k => Encoding.UTF8.GetBytes(k)).ToArray();
        _labels = _keys.Select(Label).ToArray();
    }

    /// <summary>
    /// A key's stable, non-secret name: <c>key-</c> and the first 8 hex digits of its SHA-256, the same across
    /// restarts and whatever the order of PROXY_API_KEYS (<c>printf %s "$KEY" | sha256sum | cut -c1-8</c>).
    /// </summary>
    public static string Label(byte[] key) => "key-" + Convert.ToHexStringLower(SHA256.HashData(key), 0, 4);

    /// <summary>
    /// True when the request carries one of the configured keys (or none are configured), with the label of the
    /// key it carried (<see cref="OpenLabel"/> when none are configured).
    /// </summary>
    public bool TryAdmit(RequestHeaders headers, out string label)
    {
        label = OpenLabel;
        if (_keys.Length == 0)
        {
            return true;
        }
        var index = -1;
        if (headers.TryGet("Authorization"u8, out var authorization)
            && authorization.Length > 7 && Ascii.EqualsIgnoreCase(authorization[..7], "Bearer "u8))
        {
            index = Match(HttpSyntax.TrimOws(authorization[7..]));
        }
        if (index < 0 && headers.TryGet("x-api-key"u8, out var apiKey))
        {
            index = Match(apiKey);
        }
        if (index < 0)
        {
            return false;
        }
        label = _labels[index];
        return true;
    }

    private int Match(ReadOnlySpan<byte> presented)
    {
        var match = -1;
        for (var i = 0; i < _keys.Length; i++)
        {
            // FixedTimeEquals is constant-time for equal lengths; differing lengths leak only the length. Every key
            // is compared, so which one matched does not show in the time either.
            var key = _keys[i];
            if (key.Length == presented.Length && CryptographicOperations.FixedTimeEquals(key, presented))
            {
                match = i;
            }
        }
        return match;
    }
}
