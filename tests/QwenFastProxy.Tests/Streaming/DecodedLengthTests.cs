using System.Text;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Tests.Streaming;

public sealed class DecodedLengthTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("abc", 3)]
    [InlineData("你好", 6)]
    [InlineData("a\\nb", 3)]
    [InlineData("\\\"quoted\\\"", 8)]
    [InlineData("\\\\n", 2)] // an escaped backslash, then the letter n
    [InlineData("\\u0060\\u0060\\u0060", 3)] // .NET's default encoder writes a backtick as \u0060
    [InlineData("\\u00e9", 2)]
    [InlineData("\\u4f60\\u597d", 6)] // Python's ensure_ascii: 你好
    [InlineData("\\ud83d\\ude00!", 5)] // a surrogate pair is one four-byte character
    [InlineData("x\\u0060y\\nz", 5)]
    public void CountsTheBytesOfTheTextTheEscapesStandFor(string raw, int expected)
    {
        Assert.Equal(expected, DecodedLength.Of(Encoding.UTF8.GetBytes(raw)));
        if (!raw.Contains('\\'))
        {
            Assert.Equal(Encoding.UTF8.GetByteCount(raw), DecodedLength.Of(Encoding.UTF8.GetBytes(raw)));
        }
    }

    [Theory]
    [InlineData(new byte[] { (byte)'a', (byte)'\\' })] // a lone backslash at the end
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'1', (byte)'2' })] // a cut \u escape
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'3', (byte)'d' })] // a high surrogate alone
    public void MalformedEscapesEndWithoutThrowingAndCountNoMoreThanTheRawBytes(byte[] raw)
    {
        var length = DecodedLength.Of(raw);

        Assert.InRange(length, 1, raw.Length);
    }
}
