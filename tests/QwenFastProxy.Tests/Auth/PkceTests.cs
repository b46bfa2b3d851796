using System.Buffers.Text;
using QwenFastProxy.Auth;

namespace QwenFastProxy.Tests.Auth;

public sealed class PkceTests
{
    [Fact]
    public void ChallengeMatchesRfc7636AppendixB()
    {
        // RFC 7636, Appendix B: 32 octets, their base64url verifier, and its S256 challenge.
        byte[] octets =
        [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186,
            22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        const string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

        Assert.Equal(verifier, Base64Url.EncodeToString(octets));
        Assert.Equal("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Pkce.ChallengeOf(verifier));
    }

    [Fact]
    public void VerifierEncodesThirtyTwoRandomBytesInBase64UrlWithoutPadding()
    {
        var verifier = Pkce.CreateVerifier();

        Assert.Equal(43, verifier.Length);
        Assert.All(verifier, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', $"unexpected '{c}'"));
        Assert.Equal(32, Base64Url.DecodeFromChars(verifier).Length);
    }

    [Fact]
    public void VerifiersDiffer()
    {
        var verifiers = Enumerable.Range(0, 100).Select(_ => Pkce.CreateVerifier()).ToHashSet();

        Assert.Equal(100, verifiers.Count);
    }

    [Fact]
    public void ChallengeIsBase64UrlOfSha256WithoutPadding()
    {
        var challenge = Pkce.ChallengeOf(Pkce.CreateVerifier());

        Assert.Equal(43, challenge.Length);
        Assert.DoesNotContain('=', challenge);
        Assert.DoesNotContain('+', challenge);
        Assert.DoesNotContain('/', challenge);
    }
}
