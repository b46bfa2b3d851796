using System.Text;
using System.Text.Json;
using QwenFastProxy.Anthropic;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>
/// The token estimate against the realistic answers' tokenisation (Qwen2's pre-tokenizer, long words and
/// CJK in pieces), and on the pieces that rule it: words, digits, signs, whitespace, CJK, emoji.
/// </summary>
public sealed class TokenEstimateTests
{
    private const int Seeds = RealisticStreams.SeedsPerText;

    [Fact]
    public void StaysWithinFifteenPercentOfTheTokenisationOverTheCorpus()
    {
        double estimated = 0, reference = 0;
        foreach (var (_, text) in RealisticStreams.Answers)
        {
            estimated += Count(text);
            reference += Reference(text);
        }

        Assert.InRange(estimated / reference, 0.85, 1.15);
    }

    [Fact]
    public void StaysWithinTwentyFivePercentOfTheTokenisationForEachText()
    {
        var outside = RealisticStreams.Answers
            .Select(a => (a.Name, Ratio: Count(a.Text) / Reference(a.Text)))
            .Where(r => r.Ratio is < 0.75 or > 1.25)
            .ToList();

        Assert.Empty(outside);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("Hello", 1)]
    [InlineData("Hello world", 2)]
    [InlineData(" the quick brown fox", 4)]
    [InlineData("internationalisation", 4)]
    [InlineData("2026", 4)]
    [InlineData("v10.0.12", 8)]
    [InlineData("I'm sure it's fine", 6)]
    [InlineData("a, b; c.", 6)]
    [InlineData("line\n\nnext", 3)]
    [InlineData("x    y", 3)]
    [InlineData("好的，我来解释一下", 7)]
    [InlineData("Done 🎉", 3)]
    public void CountsThePiecesOfAText(string text, int tokens) => Assert.Equal(tokens, Count(text));

    [Fact]
    public void CountsAnEscapedJsonStringAsItsText()
    {
        using var document = JsonDocument.Parse("""["line\none \u00e9t\u00e9", "line\none été"]""");
        var escaped = document.RootElement[0];
        var plain = document.RootElement[1];

        Assert.Equal(Count("line\none été"), TokenEstimate.CountString(escaped));
        Assert.Equal(Count("line\none été"), TokenEstimate.CountString(plain));
    }

    [Fact]
    public void CountsAJsonValueAsItsText()
    {
        const string Schema = """{"type":"object","properties":{"path":{"type":"string"}}}""";
        using var document = JsonDocument.Parse(Schema);

        Assert.Equal(Count(Schema), TokenEstimate.CountJson(document.RootElement));
    }

    private static double Count(string text) => TokenEstimate.Count(Encoding.UTF8.GetBytes(text));

    // Long words and CJK are cut at random lengths; the mean over the seeds the family uses is its count.
    private static double Reference(string text) =>
        Enumerable.Range(1, Seeds).Average(seed => RealisticStreams.TokenCount(text, seed));
}
