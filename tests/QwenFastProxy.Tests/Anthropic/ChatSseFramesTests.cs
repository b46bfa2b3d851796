using System.Text;
using QwenFastProxy.Anthropic;

namespace QwenFastProxy.Tests.Anthropic;

public sealed class ChatSseFramesTests
{
    private static List<string> Split(string text)
    {
        ReadOnlySpan<byte> rest = Encoding.UTF8.GetBytes(text);
        var frames = new List<string>();
        while (ChatSseFrames.TryNext(ref rest, out var frame))
        {
            frames.Add(Encoding.UTF8.GetString(frame));
            Assert.True(frames.Count < 100);
        }
        return frames;
    }

    [Fact]
    public void SplitsAtBlankLinesWhateverTheLineEnds() =>
        Assert.Equal(["data: a\n", "event: e\r\ndata: b\r\n", "data: c\r"], Split("data: a\n\nevent: e\r\ndata: b\r\n\r\ndata: c\r\r"));

    [Fact]
    public void SkipsStrayBlankLinesAndKeepsAnUnterminatedLastFrame() =>
        Assert.Equal(["data: a\n", "data: b"], Split("\n\n\ndata: a\n\n\n\ndata: b"));

    [Fact]
    public void FindsNothingInNothing() => Assert.Empty(Split(""));
}
