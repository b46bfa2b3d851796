using System.Text;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Tests.Streaming;

public sealed class RawJsonRunesTests
{
    [Theory]
    [InlineData("abc", new[] { 'a', 'b', 'c' })]
    [InlineData("a\\nb", new[] { 'a', '\n', 'b' })]
    [InlineData("\\t\\r\\b\\f\\/\\\\\\\"", new[] { '\t', '\r', '\b', '\f', '/', '\\', '"' })]
    [InlineData("\\u00e9t\\u00C9", new[] { 'é', 't', 'É' })]
    public void DecodesCharactersAndEscapes(string raw, char[] expected) =>
        Assert.Equal(expected.Select(c => new Rune(c)), Read(Encoding.UTF8.GetBytes(raw)));

    [Fact]
    public void DecodesUtf8AndEscapedSurrogatePairsIntoOneRune()
    {
        Assert.Equal([new Rune(0x1F600), new Rune('!')], Read(Encoding.UTF8.GetBytes("😀!")));
        Assert.Equal([new Rune(0x1F600), new Rune('!')], Read(Encoding.UTF8.GetBytes("\\ud83d\\ude00!")));
        Assert.Equal([new Rune('你'), new Rune('好')], Read(Encoding.UTF8.GetBytes("你好")));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, (byte)'a' })] // invalid UTF-8
    [InlineData(new byte[] { (byte)'\\' })] // a lone backslash at the end
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'1', (byte)'2' })] // a cut \u escape
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'3', (byte)'d' })] // a high surrogate alone
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'z', (byte)'z', (byte)'z', (byte)'z' })] // not hex
    public void MalformedInputGivesReplacementCharactersAndEnds(byte[] raw)
    {
        var runes = Read(raw);

        Assert.Contains(Rune.ReplacementChar, runes);
        Assert.True(runes.Count <= raw.Length);
    }

    private static List<Rune> Read(ReadOnlySpan<byte> raw)
    {
        var runes = new List<Rune>();
        var reader = new RawJsonRunes(raw);
        while (reader.TryNext(out var rune) && runes.Count <= raw.Length)
        {
            runes.Add(rune);
        }
        return runes;
    }
}
