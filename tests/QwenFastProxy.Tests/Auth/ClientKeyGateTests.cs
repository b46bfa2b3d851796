using System.Security.Cryptography;
using System.Text;
using QwenFastProxy.Auth;

namespace QwenFastProxy.Tests.Auth;

public sealed class ClientKeyGateTests
{
    [Fact]
    public void AKeysLabelIsThePrefixOfItsSha256AndNeverTheKey()
    {
        const string key = "sk-proxy-client-one";
        var expected = "key-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8];

        var label = ClientKeyGate.Label(Encoding.UTF8.GetBytes(key));

        Assert.Equal(expected, label);
        Assert.DoesNotContain("proxy", label, StringComparison.Ordinal);
        Assert.NotEqual(label, ClientKeyGate.Label(Encoding.UTF8.GetBytes("sk-proxy-client-two")));
    }
}
