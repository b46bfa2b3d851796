using System.Text;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Tests.Streaming;

public sealed class LevenshteinTests
{
    [Theory]
    [InlineData("", "", 0)]
    [InlineData("abc", "", 3)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("Hello world", "Hello, world", 1)]
    [InlineData("same", "same", 0)]
    public void ComputesTheEditDistance(string a, string b, int expected)
    {
        Assert.Equal(expected, Levenshtein.Distance(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b)));
        Assert.Equal(expected, Levenshtein.Distance(Encoding.UTF8.GetBytes(b), Encoding.UTF8.GetBytes(a)));
    }

    [Fact]
    public void HandlesInputsLongerThanTheStackRow()
    {
        var a = Encoding.UTF8.GetBytes(new string('a', 400) + "x" + new string('b', 300));
        var b = Encoding.UTF8.GetBytes(new string('a', 400) + "y" + new string('b', 299));

        Assert.Equal(2, Levenshtein.Distance(a, b));
    }

    [Fact]
    public void SimilarityIsOneForEqualAndZeroForDisjoint()
    {
        Assert.Equal(1, Levenshtein.Similarity("abc"u8, "abc"u8));
        Assert.Equal(0, Levenshtein.Similarity("abc"u8, "xyz"u8));
        Assert.Equal(1, Levenshtein.Similarity(default, default));
    }
}
