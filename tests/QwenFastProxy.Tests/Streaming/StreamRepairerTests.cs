using System.Buffers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Streaming;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.Tests.Streaming;

public sealed class StreamRepairerTests
{
    [Fact]
    public void LogsEveryTransitionWithItsReason()
    {
        var transitions = new List<string>();
        StreamRepairHarness.Run(
            [StutterCorpus.Chunk(content: "", role: "assistant"), StutterCorpus.Chunk(content: "Hello there"), StutterCorpus.Chunk(content: "Hello there, my friend"), "{oops", StutterCorpus.Chunk(content: "Hello there, my friend!"), StutterCorpus.Chunk(content: " Bye.")],
            transitions: transitions);

        Assert.Equal(
            [
                "Initial->NormalFlow: first content chunk",
                "NormalFlow->Stuttering: cumulative content detected",
                "Stuttering->Recovering: malformed frame",
                "Recovering->Stuttering: valid frame after a malformed one",
                "Stuttering->NormalFlow: stuttering resolved",
                "NormalFlow->Terminating: received DONE",
            ],
            transitions);
    }

    [Fact]
    public void CountsRepairedChunksAndRemovedBytes()
    {
        var (_, repairer) = StreamRepairHarness.Run([StutterCorpus.Chunk(content: "Hello there"), StutterCorpus.Chunk(content: "Hello there, friend"), StutterCorpus.Chunk(content: "Hello there, friend")]);

        Assert.Equal(2, repairer.ChunksRepaired);
        Assert.Equal("Hello there".Length + "Hello there, friend".Length, repairer.BytesRemoved);
    }

    [Fact]
    public void PassesCommentsAndUnknownFieldsThroughUnchanged()
    {
        var time = new FakeTimeProvider();
        using var repairer = new StreamRepairer(new StreamRepairOptions(), time);
        var output = new ArrayBufferWriter<byte>();
        const string frames = ": keep-alive\n\nevent: ping\nid: 3\nretry: 10\n\n";

        StreamRepairHarness.Feed(repairer, ": keep-alive\n\n", output);
        StreamRepairHarness.Feed(repairer, "event: ping\nid: 3\nretry: 10\n\n", output);

        Assert.Equal(frames, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void JoinsMultiLineDataAndKeepsTheOtherLinesOfARewrittenFrame()
    {
        var (body, _) = StreamRepairHarness.Run([StutterCorpus.Chunk(content: "Hello there")]);
        var time = new FakeTimeProvider();
        using var repairer = new StreamRepairer(new StreamRepairOptions(), time);
        var output = new ArrayBufferWriter<byte>();
        StreamRepairHarness.Feed(repairer, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"}}]}\n\n", output);
        time.Advance(TimeSpan.FromMilliseconds(30));
        StreamRepairHarness.Feed(repairer, "id: 9\ndata: {\"choices\":[{\"index\":0,\ndata: \"delta\":{\"content\":\"Hello there, friend\"}}]}\n\n", output);

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Contains("id: 9\ndata: {\"choices\":[{\"index\":0,\n\"delta\":{\"content\":\", friend\"}}]}\n\n", text);
        Assert.NotNull(body);
    }

    [Fact]
    public void MalformedFramesPassThroughUntilTheErrorLimit()
    {
        var time = new FakeTimeProvider();
        using var repairer = new StreamRepairer(new StreamRepairOptions(MaxErrors: 2), time);
        var output = new ArrayBufferWriter<byte>();

        var results = Enumerable.Range(0, 3).Select(_ => StreamRepairHarness.Feed(repairer, "data: {broken\n\n", output)).ToList();

        Assert.Equal([FrameResult.Continue, FrameResult.Continue, FrameResult.TooManyErrors], results);
        Assert.Equal(string.Concat(Enumerable.Repeat("data: {broken\n\n", 3)), Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(3, repairer.Errors);
    }

    [Fact]
    public void AHeldChunkKeepsLaterFramesBehindIt()
    {
        var time = new FakeTimeProvider();
        using var repairer = new StreamRepairer(new StreamRepairOptions(), time);
        var output = new ArrayBufferWriter<byte>();
        StreamRepairHarness.Feed(repairer, Frame(StutterCorpus.Chunk(content: "6")), output);
        var afterFirst = output.WrittenCount;

        StreamRepairHarness.Feed(repairer, Frame(StutterCorpus.Chunk(content: "66")), output);
        StreamRepairHarness.Feed(repairer, Frame(StutterCorpus.Chunk(finish: "stop")), output);

        Assert.Equal(afterFirst, output.WrittenCount); // the ambiguous "66" and the finish frame wait
        Assert.NotNull(repairer.HoldDeadline);
        repairer.Expire(output);
        var transcript = ClientTranscript.Read(Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal("666", transcript.Text("0/content"));
        Assert.Null(repairer.HoldDeadline);
        Assert.EndsWith("\"finish_reason\":\"stop\"}]}\n\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void TheHoldDeadlineIsTheAgeBound()
    {
        var time = new FakeTimeProvider();
        var options = new StreamRepairOptions(MaxHoldAge: TimeSpan.FromMilliseconds(100));
        using var repairer = new StreamRepairer(options, time);
        var output = new ArrayBufferWriter<byte>();
        StreamRepairHarness.Feed(repairer, Frame(StutterCorpus.Chunk(content: "6")), output);
        time.Advance(TimeSpan.FromMilliseconds(10));
        var heldAt = time.GetTimestamp();

        StreamRepairHarness.Feed(repairer, Frame(StutterCorpus.Chunk(content: "66")), output);

        Assert.Equal(heldAt + time.TimestampFrequency / 10, repairer.HoldDeadline);
    }

    [Fact]
    public void TheHoldIsBoundedInBytes()
    {
        var time = new FakeTimeProvider();
        using var repairer = new StreamRepairer(new StreamRepairOptions(MaxHoldBytes: 600), time);
        var output = new ArrayBufferWriter<byte>();
        StreamRepairHarness.Feed(repairer, Frame(StutterCorpus.Chunk(content: "6")), output);
        StreamRepairHarness.Feed(repairer, Frame(StutterCorpus.Chunk(content: "66")), output);
        var held = output.WrittenCount;

        for (var i = 0; i < 5 && repairer.HoldDeadline is not null; i++)
        {
            StreamRepairHarness.Feed(repairer, Frame(StutterCorpus.Chunk(toolJson: """[{"index":0,"function":{"arguments":"x"}}]""")), output);
        }

        Assert.Null(repairer.HoldDeadline);
        Assert.True(output.WrittenCount > held);
        Assert.Equal("666", ClientTranscript.Read(Encoding.UTF8.GetString(output.WrittenSpan)).Text("0/content"));
    }

    [Fact]
    public void AStreamEndingWithoutDoneSendsWhatItHeld()
    {
        var (body, repairer) = StreamRepairHarness.Run([StutterCorpus.Chunk(content: "6"), StutterCorpus.Chunk(content: "66")], done: false);

        Assert.Equal("666", ClientTranscript.Read(body).Text("0/content"));
        Assert.Equal(StreamState.Terminating, repairer.State);
    }

    [Fact]
    public void SendsTextHeldAtACharacterBoundaryBeforeDone()
    {
        var (body, _) = StreamRepairHarness.Run([StutterCorpus.Chunk(rawContent: "I love it "), StutterCorpus.Chunk(rawContent: "I love it and \\ud83d")]);

        var transcript = ClientTranscript.Read(body);
        Assert.Equal("I love it and \ufffd", transcript.Text("0/content"));
        Assert.True(transcript.SawDone);
    }

    [Fact]
    public void AllocatesNothingPerChunkInSteadyState()
    {
        // The system clock: the fake one allocates in GetTimestamp. Texts are sized so that no pooled
        // buffer has to grow during the measured part (growth is amortised, not per chunk).
        using var repairer = new StreamRepairer(new StreamRepairOptions(), TimeProvider.System);
        var output = new ArrayBufferWriter<byte>(1 << 20);
        var frames = Enumerable.Range(0, 400)
            .Select(i => new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(Frame(StutterCorpus.Chunk(content: "Cumulative text " + new string('x', 504 + i))))))
            .ToArray();
        for (var i = 0; i < 200; i++)
        {
            repairer.Process(frames[i], output);
            output.ResetWrittenCount();
        }
        Assert.Equal(StreamState.Stuttering, repairer.State);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 200; i < frames.Length; i++)
        {
            repairer.Process(frames[i], output);
            output.ResetWrittenCount();
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(StreamState.Stuttering, repairer.State);
    }

    private static string Frame(string payload) => $"data: {payload}\n\n";

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void AUsageChunkTheClientDidNotAskForIsTakenOut(bool strip, bool expectUsage)
    {
        using var repairer = new StreamRepairer(new StreamRepairOptions(), new FakeTimeProvider()) { StripUsage = strip };
        var output = new ArrayBufferWriter<byte>();
        const string usage = """{"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}}""";

        StreamRepairHarness.Feed(repairer, $"data: {StutterCorpus.Chunk(content: "Hi")}\n\n", output);
        StreamRepairHarness.Feed(repairer, $"data: {StutterCorpus.Chunk(finish: "stop")}\n\n", output);
        StreamRepairHarness.Feed(repairer, $"data: {usage}\n\n", output);
        StreamRepairHarness.Feed(repairer, "data: [DONE]\n\n", output);

        var body = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Equal(expectUsage, body.Contains("\"usage\"", StringComparison.Ordinal));
        Assert.Equal("Hi", ClientTranscript.Read(body).Text("0/content"));
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        // Read either way: the usage ledger counts what the client did not see.
        Assert.Equal(new QwenFastProxy.Http.TokenUsage(5, 9, 0, 0), repairer.Usage);
    }

    [Fact]
    public void AStreamWithoutAUsageChunkHasNoUsageAndResetForgetsIt()
    {
        using var repairer = new StreamRepairer(new StreamRepairOptions(), new FakeTimeProvider());
        var output = new ArrayBufferWriter<byte>();
        StreamRepairHarness.Feed(repairer, $"data: {StutterCorpus.Chunk(content: "Hi")}\n\n", output);
        StreamRepairHarness.Feed(repairer, "data: [DONE]\n\n", output);
        Assert.Null(repairer.Usage);

        StreamRepairHarness.Feed(repairer, """data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}""" + "\n\n", output);
        Assert.NotNull(repairer.Usage);
        repairer.Reset();
        Assert.Null(repairer.Usage);
    }
}
