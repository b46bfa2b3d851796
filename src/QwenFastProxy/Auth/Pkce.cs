using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace QwenFastProxy.Auth;

/// <summary>
/// PKCE (RFC 7636) with the S256 method: the verifier is 32 random bytes in base64url (43 characters), the
/// challenge is base64url(SHA-256(ASCII(verifier))), both without padding.
/// </summary>
internal static class Pkce
{
    private const int VerifierBytes = 32;

    /// <summary>A fresh verifier from the operating system's cryptographic random source.</summary>
    public static string CreateVerifier()
    {
        Span<byte> random = stackalloc byte[VerifierBytes];
        RandomNumberGenerator.Fill(random);
        return Base64Url.EncodeToString(random);
    }

    /// <summary>The S256 challenge of <paramref name="verifier"/>.</summary>
    public static string ChallengeOf(string verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.ASCII.GetBytes(verifier), hash);
        return Base64Url.EncodeToString(hash);
    }
}
