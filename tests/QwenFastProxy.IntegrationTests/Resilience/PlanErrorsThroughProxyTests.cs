using System.Net;
using QwenFastProxy.IntegrationTests.Infrastructure;
using static QwenFastProxy.IntegrationTests.Resilience.ResilienceClient;

namespace QwenFastProxy.IntegrationTests.Resilience;

/// <summary>
/// Qwen's plan answers (simulator faults) through the real proxy: the per-minute limit worded as a quota is retried,
/// billing is not and says so, and refusals whose words mislead reach the client with their status and the likely
/// cause. The Coding Plan host check needs a host name the simulator on 127.0.0.1 cannot have, so it is unit-tested.
/// </summary>
public sealed class PlanErrorsThroughProxyTests
{
    [Theory]
    [InlineData("plan-quota;first=1")]
    [InlineData("plan-quota;first=1;retry-after=1")]
    public async Task APlansPerMinuteQuotaIsRetriedLikeThrottling(string fault)
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3 });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, fault);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task APerMinuteQuotaStillThereWhenRetriesAreSpentIsPassedThroughUnchanged()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 1 });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, "plan-quota");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal("Throttling.AllocationQuota", error.GetProperty("code").GetString());
        Assert.Equal("Allocated quota exceeded, please increase your quota limit.", error.GetProperty("message").GetString());
        Assert.Equal(2, harness.Simulator.Attempts(id));
    }

    [Theory]
    [InlineData("arrearage", HttpStatusCode.BadRequest, "Arrearage", "account is overdue")]
    [InlineData("not-purchased", HttpStatusCode.Forbidden, "CommodityNotPurchased", "has not been bought")]
    [InlineData("free-quota", HttpStatusCode.TooManyRequests, "Throttling.AllocationQuota", "free allocation is used up")]
    // Qwen OAuth's free tier: insufficient_quota with the free-allocation wording, the more telling of the two.
    [InlineData("quota", HttpStatusCode.TooManyRequests, "insufficient_quota", "free allocation is used up")]
    public async Task BillingIsNotRetriedAndSaysWhatToCheck(string fault, HttpStatusCode status, string code, string cause)
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3 });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, fault);

        Assert.Equal(status, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal(code, error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith("This is billing, not a rate limit, so the proxy did not retry it", message, StringComparison.Ordinal);
        Assert.Contains(cause, message, StringComparison.Ordinal);
        Assert.Contains(" Upstream said: ", message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task APlanKeyRefusedByAnotherHostIsExplained()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = ProxyHarness.UpstreamToken });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, "invalid-api-key");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("permission_error", error.GetProperty("type").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("Coding Plan key (sk-sp-...) or a Token Plan key", message, StringComparison.Ordinal);
        Assert.EndsWith("Upstream said: invalid api-key", message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task CodingPlansCallerCheckGetsAnOpenAiShapedErrorNamingTheUserAgentSetting()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = ProxyHarness.UpstreamToken });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, "coding-agents-only");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal("coding_agents_only", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("QWEN_USER_AGENT", message, StringComparison.Ordinal);
        Assert.EndsWith("Upstream said: Coding Plan is currently only available for Coding Agents", message, StringComparison.Ordinal);
        Assert.Equal(1, harness.Simulator.Attempts(id));
    }

    [Fact]
    public async Task A401OffCodingPlanIsRelayedAsItIs()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = ProxyHarness.UpstreamToken });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, TextRequest, id, "coding-plan-key");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal("invalid access token or token expired", error.GetProperty("message").GetString());
        Assert.Equal(1, harness.Simulator.Attempts(id));
    }

    [Theory]
    [InlineData("model-not-supported", HttpStatusCode.BadRequest)]
    [InlineData("model-not-found", HttpStatusCode.NotFound)]
    public async Task AnUnsupportedModelNamesTheModelTheClientSent(string fault, HttpStatusCode status)
    {
        // API-key mode relays unknown model names as they are (OAuth mode would replace them).
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = ProxyHarness.UpstreamToken });
        using var client = Create(harness);
        var id = NewId();

        using var response = await PostAsync(client, """{"model":"Qwen3-Coder-Plus","messages":[{"role":"user","content":"Hi"}]}""", id, fault);

        Assert.Equal(status, response.StatusCode);
        var message = (await ErrorAsync(response)).GetProperty("message").GetString()!;
        Assert.Contains("case-sensitive", message, StringComparison.Ordinal);
        Assert.Contains("'Qwen3-Coder-Plus'", message, StringComparison.Ordinal);
        Assert.Contains("Qwen3-Coder-Plus", message[message.IndexOf(" Upstream said: ", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.Equal(1, harness.Simulator.Attempts(id));
    }
}
