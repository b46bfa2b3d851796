using System.Text;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Tests.Streaming;

public sealed class StutterDetectorTests
{
    [Theory]
    // A word, or a word with punctuation: the genuine reading would glue the word to itself.
    [InlineData("The", "The quick")]
    [InlineData("I'll", "I'll help you")]
    [InlineData("Yes,", "Yes, that")]
    [InlineData("Sure!", "Sure! Here")]
    [InlineData("Version ", "Version 1")]
    [InlineData("你好", "你好，世界")]
    [InlineData("Caf\\u00e9", "Caf\\u00e9, na\\u00efve")]
    // A single letter followed by a space or punctuation.
    [InlineData("I", "I'm")]
    [InlineData("A", "A quick")]
    // Marks only, two or more.
    [InlineData("```", "```python")]
    [InlineData("**", "**Note:**")]
    [InlineData("##", "## Title")]
    public void AWordExtendedIsCumulative(string delivered, string chunk) =>
        Assert.True(StutterDetector.RepeatsAWord(Encoding.UTF8.GetBytes(delivered), Encoding.UTF8.GetBytes(chunk)));

    [Theory]
    [InlineData("6", "66")] // numbers: digits stream one by one
    [InlineData("1", "12")]
    [InlineData("12", "123")]
    [InlineData("1.", "1.1 Scope")]
    [InlineData("#", "## Title")] // a single mark
    [InlineData("-", "- item")]
    [InlineData("a", "ab")] // a letter followed by letters
    [InlineData("谢", "谢你")]
    [InlineData("ha", "haha")] // periodic
    [InlineData("ha", "hah")]
    [InlineData("--", "---")]
    [InlineData("\\n\\n", "\\n\\nThe")] // whitespace only
    [InlineData("The", "The")] // not an extension
    [InlineData("", "The")]
    public void OtherExtensionsAreLeftToTheOtherFactors(string delivered, string chunk) =>
        Assert.False(StutterDetector.RepeatsAWord(Encoding.UTF8.GetBytes(delivered), Encoding.UTF8.GetBytes(chunk)));

    [Fact]
    public void LongDeliveredTextsNeedNoWordEvidence()
    {
        var delivered = Encoding.UTF8.GetBytes("Here is a long first sentence");
        var chunk = Encoding.UTF8.GetBytes("Here is a long first sentence, and more");

        Assert.True(StutterDetector.ExtensionConfidence(delivered, chunk, double.NaN, 0.5) >= StutterDetector.Confirm);
    }

    [Fact]
    public void AShortWordExtendedIsConfirmedWithoutWaitingForMoreEvidence()
    {
        var confidence = StutterDetector.ExtensionConfidence("The"u8, "The quick"u8, double.NaN, timing: 0.25);

        Assert.True(confidence >= StutterDetector.Confirm, $"{confidence}");
    }

    [Fact]
    public void AShortNumberExtendedStaysOpen()
    {
        var confidence = StutterDetector.ExtensionConfidence("6"u8, "66"u8, double.NaN, timing: 0.75);

        Assert.InRange(confidence, StutterDetector.Reject, StutterDetector.Confirm);
    }
}
