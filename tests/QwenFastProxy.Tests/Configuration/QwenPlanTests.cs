using QwenFastProxy.Configuration;

namespace QwenFastProxy.Tests.Configuration;

public sealed class QwenPlanTests
{
    [Theory]
    [InlineData("coding-plan-cn", "https://coding.dashscope.aliyuncs.com/v1", "https://coding.dashscope.aliyuncs.com/apps/anthropic", true)]
    [InlineData("coding-plan-intl", "https://coding-intl.dashscope.aliyuncs.com/v1", "https://coding-intl.dashscope.aliyuncs.com/apps/anthropic", true)]
    [InlineData("token-plan-cn", "https://token-plan.cn-beijing.maas.aliyuncs.com/compatible-mode/v1", "https://token-plan.cn-beijing.maas.aliyuncs.com/apps/anthropic", false)]
    [InlineData("token-plan-sg", "https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1", "https://token-plan.ap-southeast-1.maas.aliyuncs.com/apps/anthropic", false)]
    [InlineData("standard-cn", "https://dashscope.aliyuncs.com/compatible-mode/v1", "https://dashscope.aliyuncs.com/apps/anthropic", false)]
    [InlineData("standard-intl", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "https://dashscope-intl.aliyuncs.com/apps/anthropic", false)]
    [InlineData("standard-us", "https://dashscope-us.aliyuncs.com/compatible-mode/v1", "https://dashscope-us.aliyuncs.com/apps/anthropic", false)]
    [InlineData("STANDARD-HK", "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1", "https://cn-hongkong.dashscope.aliyuncs.com/apps/anthropic", false)]
    public void EachPlanNamesItsHosts(string name, string openAi, string anthropic, bool codingAgentsOnly)
    {
        var plan = QwenPlan.Find(name);

        Assert.NotNull(plan);
        Assert.Equal(openAi, plan.OpenAiBaseUrl);
        Assert.Equal(anthropic, plan.AnthropicBaseUrl);
        Assert.Equal(codingAgentsOnly, plan.CodingAgentsOnly);
        Assert.True(ApiBaseUrl.TryNormalize(openAi, out var normalized) && normalized == openAi, "a plan's base is already normalised");
    }

    [Fact]
    public void CustomNamesNoHostAndUnknownNamesNoPlan()
    {
        var custom = QwenPlan.Find("custom");

        Assert.NotNull(custom);
        Assert.Null(custom.OpenAiBaseUrl);
        Assert.Null(QwenPlan.Find("coding-plan"));
        Assert.Contains("coding-plan-intl", QwenPlan.Names, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://coding-intl.dashscope.aliyuncs.com/v1", "coding-plan-intl")]
    [InlineData("https://CODING.dashscope.aliyuncs.com/v1", "coding-plan-cn")]
    [InlineData("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "standard-intl")]
    [InlineData("https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1", "token-plan-sg")]
    [InlineData("http://127.0.0.1:8080/v1", null)]
    [InlineData("https://portal.qwen.ai/v1", null)]
    [InlineData("not a url", null)]
    [InlineData(null, null)]
    public void AForcedBaseIsRecognisedByItsHost(string? baseUrl, string? plan) =>
        Assert.Equal(plan, QwenPlan.ServingHost(baseUrl)?.Name);

    [Theory]
    [InlineData("coding-plan-intl", "sk-sp-0123456789abcdef", false)]
    [InlineData("coding-plan-intl", "sk-0123456789abcdef", true)] // a general key on Coding Plan: 401
    [InlineData("standard-intl", "sk-0123456789abcdef", false)]
    [InlineData("standard-intl", "sk-sp-0123456789abcdef", true)] // a Coding Plan key elsewhere: 403
    [InlineData("token-plan-sg", "sk-sp-0123456789abcdef", true)]
    [InlineData("custom", "sk-sp-0123456789abcdef", false)] // nothing known about a custom host
    public void AKeyOfTheWrongShapeGetsAWarningThatNeverRepeatsIt(string plan, string key, bool warns)
    {
        var warning = QwenPlan.Find(plan)!.KeyWarning(key);

        Assert.Equal(warns, warning is not null);
        if (warning is not null)
        {
            Assert.DoesNotContain(key, warning, StringComparison.Ordinal);
            Assert.Contains("QWEN_", warning, StringComparison.Ordinal);
        }
    }
}
