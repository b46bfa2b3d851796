using QwenFastProxy.Auth;
using QwenFastProxy.Configuration;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Tests.Configuration;

public class ApiBaseUrlTests
{
    [Theory]
    [InlineData("portal.qwen.ai", "https://portal.qwen.ai/v1")]
    [InlineData("portal.qwen.ai/", "https://portal.qwen.ai/v1")]
    [InlineData("  portal.qwen.ai  ", "https://portal.qwen.ai/v1")]
    [InlineData("https://x/v1/", "https://x/v1")]
    [InlineData("https://x/v1", "https://x/v1")]
    [InlineData("https://x", "https://x/v1")]
    [InlineData("https://x///", "https://x/v1")]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/v1")]
    [InlineData("http://127.0.0.1:5000/v1", "http://127.0.0.1:5000/v1")]
    [InlineData("HTTP://LOCALHOST:5000", "http://localhost:5000/v1")]
    [InlineData("localhost:8080", "https://localhost:8080/v1")]
    [InlineData("[::1]:5000", "https://[::1]:5000/v1")]
    [InlineData("https://dashscope.aliyuncs.com/compatible-mode/v1", "https://dashscope.aliyuncs.com/compatible-mode/v1")]
    [InlineData("https://dashscope.aliyuncs.com/compatible-mode", "https://dashscope.aliyuncs.com/compatible-mode/v1")]
    [InlineData("https://portal.qwen.ai:443/v1", "https://portal.qwen.ai/v1")]
    public void Normalizes(string raw, string expected)
    {
        Assert.True(ApiBaseUrl.TryNormalize(raw, out string? normalized));
        Assert.Equal(expected, normalized);
    }

    [Fact]
    public void NormalizingIsIdempotent()
    {
        Assert.True(ApiBaseUrl.TryNormalize("portal.qwen.ai", out string? once));
        Assert.True(ApiBaseUrl.TryNormalize(once, out string? twice));
        Assert.Equal(once, twice);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not a url")]
    [InlineData("://portal.qwen.ai")]
    [InlineData("https://")]
    [InlineData("ftp://portal.qwen.ai")]
    [InlineData("file:///etc/passwd")]
    [InlineData("https://portal.qwen.ai/v1?x=1")]
    [InlineData("https://portal.qwen.ai/v1#frag")]
    [InlineData("https://user:pass@portal.qwen.ai")]
    [InlineData("https://exa mple.com")]
    [InlineData("https://[::1")]
    public void RejectsGarbage(string? raw)
    {
        Assert.False(ApiBaseUrl.TryNormalize(raw, out string? normalized));
        Assert.Null(normalized);
    }

    private static readonly QwenCredentials WithResource = new("at", "Bearer", "rt", "custom.qwen.example", null);

    [Fact]
    public void ResolveForcedBaseWinsOverEverything()
    {
        var options = new ProxyOptions { ApiBaseUrl = "http://127.0.0.1:5000/v1", ApiKey = "k" };
        Assert.Equal("http://127.0.0.1:5000/v1", ApiBaseUrl.Resolve(options, WithResource.ResourceUrl));
    }

    [Fact]
    public void ResolveForcedBaseSetDirectlyIsNormalized()
    {
        Assert.Equal("https://forced.example/v1", ApiBaseUrl.Resolve(new ProxyOptions { ApiBaseUrl = "forced.example/" }, null));
    }

    [Fact]
    public void ResolveApiKeyModeUsesDashScopeDefaultIgnoringResourceUrl()
    {
        Assert.Equal(ApiBaseUrl.ApiKeyDefault, ApiBaseUrl.Resolve(new ProxyOptions { ApiKey = "k" }, WithResource.ResourceUrl));
        Assert.Equal("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", ApiBaseUrl.ApiKeyDefault);
    }

    [Fact]
    public void ResolveOAuthUsesResourceUrl()
    {
        Assert.Equal("https://custom.qwen.example/v1", ApiBaseUrl.Resolve(new ProxyOptions(), WithResource.ResourceUrl));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ftp://bad")]
    public void ResolveOAuthWithoutUsableResourceUrlUsesPortalDefault(string? resourceUrl)
    {
        var credentials = new QwenCredentials("at", null, null, resourceUrl, null);
        Assert.Equal(ApiBaseUrl.OAuthDefault, ApiBaseUrl.Resolve(new ProxyOptions(), credentials.ResourceUrl));
        Assert.Equal(ApiBaseUrl.OAuthDefault, ApiBaseUrl.Resolve(new ProxyOptions(), null));
        Assert.Equal("https://portal.qwen.ai/v1", ApiBaseUrl.OAuthDefault);
    }
}
