using System.Text.Json;
using QwenFastProxy.Configuration;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.IntegrationTests;

/// <summary>The User-Agent the upstream sees, and the plan /status.json reports, through the real proxy in API-key mode.</summary>
public sealed class PlanIdentityTests
{
    [Theory]
    [InlineData("coding-plan-intl", null, "claude-cli/2.0.1 (external, cli)")] // Coding Plan serves agents: the agent speaks
    [InlineData("standard-intl", null, null)] // elsewhere the proxy names itself
    [InlineData("coding-plan-cn", "my-agent/1.0", "my-agent/1.0")] // QWEN_USER_AGENT wins
    public async Task TheUpstreamSeesTheUserAgentOfThePlan(string plan, string? configured, string? expected)
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = ProxyHarness.UpstreamToken, Plan = QwenPlan.Find(plan), UserAgent = configured });
        using var client = harness.CreateHttpClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "claude-cli/2.0.1 (external, cli)");

        using var response = await client.GetAsync("sim/echo");
        using var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var headers = echo.RootElement.GetProperty("headers");
        var agent = Header(headers, "User-Agent");
        Assert.Equal(expected ?? UpstreamIdentity.ProxyUserAgent, agent);
        Assert.Equal(agent, Header(headers, "X-DashScope-UserAgent"));
        Assert.Null(Header(headers, "X-DashScope-AuthType"));
    }

    [Fact]
    public async Task TheStatusReportNamesThePlan()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = ProxyHarness.UpstreamToken, Plan = QwenPlan.Find("token-plan-sg") });
        using var client = harness.CreateHttpClient();

        using var status = JsonDocument.Parse(await client.GetStringAsync(new Uri(harness.BaseUrl, "/status.json")));

        Assert.Equal("api_key", status.RootElement.GetProperty("mode").GetString());
        Assert.Equal("token-plan-sg", status.RootElement.GetProperty("plan").GetString());
    }

    private static string? Header(JsonElement headers, string name)
    {
        foreach (var header in headers.EnumerateObject())
        {
            if (string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value.GetString();
            }
        }
        return null;
    }
}
