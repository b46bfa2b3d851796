using System.Text;
using QwenFastProxy.Auth;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Tests.Upstream;

public sealed class UpstreamIdentityTests
{
    private const string Simulator = "http://127.0.0.1:8080/v1";

    [Fact]
    public void AnOAuthLoginSpeaksAsTheQwenCodeClient() =>
        Assert.Equal(QwenClientIdentity.UserAgent, UpstreamIdentity.For(new ProxyOptions(), Simulator).UserAgentFor(Headers("claude-cli/2.0")));

    [Theory]
    [InlineData("standard-intl")]
    [InlineData("token-plan-sg")]
    public void AnApiKeyElsewhereSpeaksAsTheProxy(string plan)
    {
        var identity = UpstreamIdentity.For(new ProxyOptions { ApiKey = "k", Plan = QwenPlan.Find(plan) }, Simulator);

        Assert.Equal(UpstreamIdentity.ProxyUserAgent, identity.UserAgentFor(Headers("claude-cli/2.0")));
        Assert.Matches(@"^QwenFastProxy/\d+\.\d+\.\d+$", UpstreamIdentity.ProxyUserAgent);
    }

    [Fact]
    public void OnCodingPlanTheCallingAgentSpeaksForItself()
    {
        var identity = UpstreamIdentity.For(new ProxyOptions { ApiKey = "sk-sp-k", Plan = QwenPlan.Find("coding-plan-intl") }, Simulator);

        Assert.Equal("claude-cli/2.0.1 (external, cli)", identity.UserAgentFor(Headers("claude-cli/2.0.1 (external, cli)")));
        Assert.Equal(UpstreamIdentity.ProxyUserAgent, identity.UserAgentFor(Headers(null)));
    }

    [Fact]
    public void ACodingPlanHostIsRecognisedWithoutAPlan()
    {
        var identity = UpstreamIdentity.For(new ProxyOptions { ApiKey = "sk-sp-k" }, "https://coding.dashscope.aliyuncs.com/v1");

        Assert.Equal("Cline/3.1", identity.UserAgentFor(Headers("Cline/3.1")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sk-sp-k")]
    public void AConfiguredUserAgentWinsEverywhere(string? apiKey)
    {
        var identity = UpstreamIdentity.For(new ProxyOptions { ApiKey = apiKey, Plan = apiKey is null ? null : QwenPlan.Find("coding-plan-cn"), UserAgent = "my-agent/1.0" }, Simulator);

        Assert.Equal("my-agent/1.0", identity.UserAgentFor(Headers("claude-cli/2.0")));
    }

    private static RequestHeaders Headers(string? userAgent)
    {
        var headers = new RequestHeaders(1024);
        if (userAgent is not null)
        {
            Assert.True(headers.TryAdd("User-Agent"u8, Encoding.ASCII.GetBytes(userAgent)));
        }
        return headers;
    }
}
