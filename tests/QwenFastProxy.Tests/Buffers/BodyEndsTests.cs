using System.Text;
using QwenFastProxy.Buffers;

namespace QwenFastProxy.Tests.Buffers;

public sealed class BodyEndsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(5000)]
    public void KeepsExactlyTheLastBytesWhateverThePieceSize(int pieceSize)
    {
        var body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 900).Select(i => i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture))));
        var tail = new BodyEnds();

        for (var at = 0; at < body.Length; at += pieceSize)
        {
            tail.Append(body.AsSpan(at, Math.Min(pieceSize, body.Length - at)));
        }

        Assert.Equal(body[^BodyEnds.Capacity..], tail.Tail.ToArray());
        Assert.Equal(body[..BodyEnds.Capacity], tail.Head.ToArray());
    }

    [Fact]
    public void AShortBodyIsKeptWholeAndClearForgetsIt()
    {
        var tail = new BodyEnds();
        tail.Append("{\"a\":"u8);
        tail.Append("1}"u8);
        Assert.Equal("{\"a\":1}", Encoding.ASCII.GetString(tail.Tail));
        Assert.Equal("{\"a\":1}", Encoding.ASCII.GetString(tail.Head));

        tail.Clear();
        Assert.True(tail.Tail.IsEmpty);
        Assert.True(tail.Head.IsEmpty);
    }
}
