using System.Text;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Tests.Streaming;

public sealed class FieldRepairTests
{
    [Theory]
    [InlineData("plain", 0, 5)]
    [InlineData("I \\ud83d", 0, 2)]
    [InlineData("I \\uD83D", 0, 2)]
    [InlineData("I \\ud83d\\ude00", 0, 14)]
    [InlineData("I \\\\ud83d", 0, 9)]
    [InlineData("caf\u00e9", 0, 5)]
    public void CompleteEndKeepsBackAnUnfinishedCharacter(string raw, int from, int expected)
    {
        Assert.Equal(expected, FieldRepair.CompleteEnd(Encoding.UTF8.GetBytes(raw), from));
    }

    [Fact]
    public void CompleteEndKeepsBackAnUnfinishedUtf8Sequence()
    {
        byte[] raw = [(byte)'c', (byte)'a', (byte)'f', 0xC3];
        byte[] emoji = [(byte)'a', 0xF0, 0x9F, 0x98];

        Assert.Equal(3, FieldRepair.CompleteEnd(raw, 0));
        Assert.Equal(1, FieldRepair.CompleteEnd(emoji, 0));
    }

    [Fact]
    public void AcceptsASnapshotCutInsideAUtf8Character()
    {
        using var field = new FieldRepair(0, DeltaField.Content);
        Deliver(field, "Un café "u8);
        byte[] cut = [.. "Un café cr"u8, 0xC3];
        var first = field.Decide(cut, 0.5);
        field.Apply(cut, first, 2, 1000);
        var whole = "Un café crème"u8;
        var second = field.Decide(whole, 0.5);

        Assert.Equal(RepairAction.Deliver, first.Action);
        Assert.Equal("cr", Encoding.UTF8.GetString(cut.AsSpan(first.Start, first.End - first.Start)));
        Assert.Equal("ème", Encoding.UTF8.GetString(whole[second.Start..second.End]));
    }

    [Fact]
    public void ASnapshotThatRevisesACharacterStillYieldsOnlyTheNewText()
    {
        using var field = new FieldRepair(0, DeltaField.Content);
        Deliver(field, "The quick brown fox jum"u8);
        var snapshot = "The quick brown fox jumps over"u8;
        var decision = field.Decide(snapshot, 0.5);
        field.Apply(snapshot, decision, 2, 1000);
        var revised = "The quick brown f0x jumps over the dog"u8;

        var next = field.Decide(revised, 0.5);

        Assert.True(field.IsCumulative);
        Assert.Equal(RepairAction.Deliver, next.Action);
        Assert.Equal(" the dog", Encoding.UTF8.GetString(revised[next.Start..next.End]));
    }

    [Fact]
    public void ADivergingChunkEndsStuttering()
    {
        using var field = new FieldRepair(0, DeltaField.Content);
        Deliver(field, "Hello there"u8);
        var snapshot = "Hello there, friend"u8;
        field.Apply(snapshot, field.Decide(snapshot, 0.5), 2, 1000);
        Assert.True(field.IsCumulative);

        var delta = " How are you?"u8;
        var decision = field.Decide(delta, 0.5);
        field.Apply(delta, decision, 3, 1000);

        Assert.Equal("stuttering resolved", decision.Reason);
        Assert.False(field.IsCumulative);
    }

    private static void Deliver(FieldRepair field, ReadOnlySpan<byte> chunk) =>
        field.Apply(chunk, field.Decide(chunk, 0.5), 1, 1000);
}
