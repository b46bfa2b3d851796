using System.Text;
using QwenFastProxy.Http;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Tests.Resilience;

public sealed class PlanErrorExplanationsTests
{
    private const string CodingPlan = "coding.dashscope.aliyuncs.com";
    private const string CodingPlanIntl = "coding-intl.dashscope.aliyuncs.com";
    private const string Standard = "dashscope.aliyuncs.com";
    private const string TokenPlan = "token-plan.ap-southeast-1.maas.aliyuncs.com";

    private const string InvalidAccessToken = """{"error":{"code":"invalid_api_key","message":"invalid access token or token expired","type":"invalid_request_error"}}""";
    private const string InvalidApiKey = """{"error":{"code":"invalid_api_key","message":"invalid api-key","type":"invalid_request_error"}}""";
    private const string CodingAgentsOnly = """{"error":"Coding Plan is currently only available for Coding Agents"}""";

    [Theory]
    [InlineData(CodingPlan)]
    [InlineData(CodingPlanIntl)]
    [InlineData("CODING-INTL.dashscope.aliyuncs.com")]
    public void AGeneralKeyRefusedByCodingPlanIsExplained(string host)
    {
        var error = Explain(host, apiKeyMode: true, 401, InvalidAccessToken);

        Assert.Equal(401, error.Status);
        Assert.Equal("invalid_api_key", error.Code);
        Assert.Equal("authentication_error", error.Type);
        Assert.Contains("general DashScope", error.Message, StringComparison.Ordinal);
        Assert.Contains("sk-sp-", error.Message, StringComparison.Ordinal);
        Assert.Contains("set QWEN_PLAN to the plan of this key", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Upstream said: invalid access token or token expired", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Standard, true)] // not Coding Plan: the key is wrong for some other reason
    [InlineData(TokenPlan, true)]
    [InlineData(CodingPlan, false)] // an OAuth token is no key for the wrong plan
    public void A401ElsewhereIsRelayed(string host, bool apiKeyMode)
    {
        Assert.False(PlanErrorExplanations.TryExplain(host, apiKeyMode, 401, Encoding.UTF8.GetBytes(InvalidAccessToken), "qwen3-coder-plus", out _));
    }

    [Theory]
    [InlineData(Standard)]
    [InlineData(TokenPlan)]
    [InlineData("127.0.0.1")]
    public void APlanKeyRefusedByAnotherHostIsExplained(string host)
    {
        var error = Explain(host, apiKeyMode: true, 403, InvalidApiKey);

        Assert.Equal(403, error.Status);
        Assert.Equal("invalid_api_key", error.Code);
        Assert.Contains("Coding Plan key (sk-sp-...) or a Token Plan key", error.Message, StringComparison.Ordinal);
        Assert.Contains("QWEN_PLAN to that plan (coding-plan-intl", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Upstream said: invalid api-key", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CodingPlan, true)] // Coding Plan takes sk-sp- keys only, so "wrong host" is not the story
    [InlineData(Standard, false)]
    public void A403OnCodingPlanOrInOAuthModeIsRelayed(string host, bool apiKeyMode)
    {
        Assert.False(PlanErrorExplanations.TryExplain(host, apiKeyMode, 403, Encoding.UTF8.GetBytes(InvalidApiKey), null, out _));
    }

    [Theory]
    [InlineData(CodingPlan)]
    [InlineData(Standard)]
    public void CodingPlansCallerCheckNamesTheUserAgentSettingAndGetsACode(string host)
    {
        var error = Explain(host, apiKeyMode: true, 405, CodingAgentsOnly);

        Assert.Equal(405, error.Status);
        Assert.Equal("coding_agents_only", error.Code);
        Assert.Contains("QWEN_USER_AGENT", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Upstream said: Coding Plan is currently only available for Coding Agents", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<int, string, string> Billing => new()
    {
        { 400, """{"code":"Arrearage","message":"Access denied, please make sure your account is in good standing.","request_id":"x"}""", "Arrearage" },
        { 403, """{"error":{"code":"CommodityNotPurchased","message":"Commodity has not purchased yet."}}""", "CommodityNotPurchased" },
        { 429, """{"error":{"code":"Throttling.AllocationQuota","message":"Free allocated quota exceeded."}}""", "Throttling.AllocationQuota" },
        { 429, """{"error":{"code":"insufficient_quota","message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota"}}""", "insufficient_quota" },
        // No code of its own (Qwen OAuth's free tier): the proxy names one.
        { 429, """{"error":{"message":"Free allocated quota exceeded."}}""", "billing" },
    };

    [Theory]
    [MemberData(nameof(Billing))]
    public void BillingSaysItIsNotARateLimitAndKeepsTheUpstreamsStatusAndCode(int status, string body, string code)
    {
        var error = Explain(Standard, apiKeyMode: false, status, body);

        Assert.Equal(status, error.Status);
        Assert.Equal(code, error.Code);
        Assert.StartsWith("This is billing, not a rate limit, so the proxy did not retry it: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(" Upstream said: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400, """{"error":{"code":"invalid_parameter_error","message":"model 'Qwen3-Coder-Plus' is not supported"}}""")]
    [InlineData(404, """{"error":{"code":"model_not_found","message":"The model `Qwen3-Coder-Plus` does not exist or you do not have access to it."}}""")]
    public void AnUnsupportedModelNamesTheRequestedOneAndCase(int status, string body)
    {
        var error = Explain(Standard, apiKeyMode: true, status, body, model: "Qwen3-Coder-Plus");

        Assert.Equal(status, error.Status);
        Assert.Contains("case-sensitive", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Qwen3-Coder-Plus'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEscapedMessageLongerThanTheClassifiersScratchReachesTheClientWhole()
    {
        var tail = new string('x', 600);
        var body = """{"error":{"code":"Arrearage","message":"Access denied\u002E """ + tail + "\"}}";

        var error = Explain(Standard, apiKeyMode: true, 400, body);

        Assert.EndsWith("Upstream said: Access denied. " + tail, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(429, """{"error":{"code":"rate_limit_exceeded","message":"Requests rate limit exceeded, please try again later."}}""")]
    [InlineData(429, """{"code":"Throttling.AllocationQuota","message":"Allocated quota exceeded, please increase your quota limit."}""")]
    [InlineData(400, """{"error":{"code":"invalid_parameter_error","message":"temperature must be below 2"}}""")]
    [InlineData(404, """{"error":{"code":"not_found","message":"Invalid URL (GET /v1/nothing)"}}""")]
    [InlineData(500, """{"error":{"code":"Arrearage","message":"x"}}""")]
    [InlineData(429, "")]
    [InlineData(403, "<html>Forbidden</html>")]
    public void EverythingElseIsRelayedAsItIs(int status, string body)
    {
        Assert.False(PlanErrorExplanations.TryExplain(Standard, true, status, Encoding.UTF8.GetBytes(body), "qwen3-coder-plus", out _));
    }

    private static HttpError Explain(string host, bool apiKeyMode, int status, string body, string? model = "qwen3-coder-plus")
    {
        Assert.True(PlanErrorExplanations.TryExplain(host, apiKeyMode, status, Encoding.UTF8.GetBytes(body), model, out var error));
        return error;
    }
}
