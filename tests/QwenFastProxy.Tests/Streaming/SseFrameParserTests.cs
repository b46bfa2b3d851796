using System.Buffers;
using System.Text;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Tests.Streaming;

public sealed class SseFrameParserTests
{
    [Theory]
    [InlineData("data: a\n\ndata: b\n\n")]
    [InlineData("data: a\r\n\r\ndata: b\r\n\r\n")]
    [InlineData("data: a\r\rdata: b\r\r")]
    [InlineData("data: a\n\r\ndata: b\r\n\n")]
    public void SplitsFramesOnEveryLineEnding(string stream)
    {
        var frames = ReadAll(stream, isFinal: true);

        Assert.Equal(2, frames.Count);
        Assert.StartsWith("data: a", frames[0]);
        Assert.StartsWith("data: b", frames[1]);
        Assert.Equal(stream, string.Concat(frames)); // nothing lost, nothing added
    }

    [Fact]
    public void KeepsCommentsEventsAndIdsInsideTheFrame()
    {
        var frames = ReadAll(": keep-alive\n\nevent: message\nid: 7\ndata: {\"x\":1}\n\n", isFinal: true);

        Assert.Equal([": keep-alive\n\n", "event: message\nid: 7\ndata: {\"x\":1}\n\n"], frames);
    }

    [Fact]
    public void ACarriageReturnAtTheEndWaitsForThePossibleLineFeed()
    {
        var buffer = Sequence("data: a\r\n\r");

        Assert.False(SseFrameParser.TryReadFrame(ref buffer, isFinal: false, out _));
        Assert.True(SseFrameParser.TryReadFrame(ref buffer, isFinal: true, out var frame));
        Assert.Equal("data: a\r\n\r", Encoding.UTF8.GetString(frame));
    }

    [Fact]
    public void GivesTheSameFramesWhateverTheReadBoundaries()
    {
        const string stream = "data: {\"a\":\"é😀\"}\r\n\r\n: c\n\ndata: x\rdata: y\r\r";
        var whole = ReadAll(stream, isFinal: true);
        var bytes = Encoding.UTF8.GetBytes(stream);
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var frames = new List<string>();
            var buffer = new ReadOnlySequence<byte>(bytes[..cut]);
            while (SseFrameParser.TryReadFrame(ref buffer, isFinal: false, out var frame))
            {
                frames.Add(Encoding.UTF8.GetString(frame));
            }
            buffer = new ReadOnlySequence<byte>([.. buffer.ToArray(), .. bytes[cut..]]);
            while (SseFrameParser.TryReadFrame(ref buffer, isFinal: true, out var frame))
            {
                frames.Add(Encoding.UTF8.GetString(frame));
            }
            Assert.Equal(whole, frames);
        }
    }

    [Theory]
    [InlineData("data: x", true, "x")]
    [InlineData("data:x", true, "x")]
    [InlineData("data:  x", true, " x")]
    [InlineData("data", true, "")]
    [InlineData("data2: x", false, "")]
    [InlineData(": data: x", false, "")]
    public void ReadsTheDataField(string line, bool isData, string value)
    {
        Assert.Equal(isData, SseFrameParser.TryGetData(Encoding.UTF8.GetBytes(line), out var data));
        Assert.Equal(value, Encoding.UTF8.GetString(data));
    }

    private static List<string> ReadAll(string stream, bool isFinal)
    {
        var buffer = Sequence(stream);
        var frames = new List<string>();
        for (var i = 0; i < 100 && SseFrameParser.TryReadFrame(ref buffer, isFinal, out var frame); i++)
        {
            frames.Add(Encoding.UTF8.GetString(frame));
        }
        return frames;
    }

    private static ReadOnlySequence<byte> Sequence(string text) => new(Encoding.UTF8.GetBytes(text));
}
