using QwenFastProxy.Configuration;

namespace QwenFastProxy.Tests.Configuration;

public sealed class ModelAliasesTests
{
    private static ModelAliases Parse(string text)
    {
        Assert.True(ModelAliases.TryParse(text, out var aliases, out var error), error);
        return aliases;
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", "qwen3-coder-plus")]
    [InlineData("claude-", "qwen3-coder-plus")] // a prefix matches itself
    [InlineData("gpt-4o", "qwen3-max")]
    [InlineData("gpt-4o-mini", null)] // an exact name is not a prefix
    [InlineData("Claude-sonnet", null)] // case-sensitive, as Qwen's names are
    [InlineData("qwen3-coder-plus", null)]
    [InlineData(null, null)]
    public void TheFirstMatchingRuleGivesTheModel(string? requested, string? expected)
    {
        var aliases = Parse(" claude-*=qwen3-coder-plus , gpt-4o=qwen3-max,gpt-*=qwen3-coder-flash-never ");
        var found = aliases.TryResolve(requested, out var model, out var encoded);

        Assert.Equal(expected is not null || requested?.StartsWith("gpt-", StringComparison.Ordinal) == true, found);
        if (expected is not null)
        {
            Assert.Equal(expected, model);
            Assert.Equal(expected, encoded.ToString());
        }
    }

    [Fact]
    public void RulesApplyInTheOrderGiven()
    {
        Assert.True(Parse("gpt-*=a,gpt-4o=b").TryResolve("gpt-4o", out var model, out _));

        Assert.Equal("a", model);
    }

    [Theory]
    [InlineData("claude")]
    [InlineData("=qwen3-max")]
    [InlineData("gpt-4o=")]
    [InlineData("*=qwen3-max")]
    [InlineData("gp*t=qwen3-max")]
    [InlineData("gpt 4=qwen3-max")]
    [InlineData(",,")]
    public void APairThatIsNotPatternEqualsModelIsRefused(string text)
    {
        Assert.False(ModelAliases.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TheRulesReadBackAsWritten() =>
        Assert.Equal("claude-*=qwen3-coder-plus,gpt-4o=qwen3-max", Parse("claude-*=qwen3-coder-plus, gpt-4o=qwen3-max").ToString());
}
