using System.Buffers;
using System.Text;
using QwenFastProxy.Anthropic;
using QwenFastProxy.Http;
using QwenFastProxy.Streaming;
using QwenFastProxy.TestCorpus;
using QwenFastProxy.Tests.Streaming;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>The translate mode's stream: stutter repair, then Messages events, with keep-alive pings.</summary>
public sealed class MessagesEventStreamTests
{
    private readonly TestClock _time = new();

    [Fact]
    public void AK2StutterIsRepairedBeforeItIsTranslated()
    {
        using var stream = new MessagesEventStream(new StreamRepairer(new StreamRepairOptions(), _time), _time);
        var output = new ArrayBufferWriter<byte>();
        stream.Begin("msg_1", "claude-sonnet-4-5", 12, output);

        string[] frames =
        [
            ChatFrames.Role(),
            ChatFrames.Content("The"),
            ChatFrames.Content("The quick"),
            ChatFrames.Content(" brown fox"),
            ChatFrames.Finish("stop"),
            ChatFrames.Usage(prompt: 20, completion: 5, cached: 8),
            ChatFrames.Done,
        ];
        var results = frames.Select(frame => Feed(stream, frame, output)).ToList();

        Assert.Equal(FrameResult.Done, results[^1]);
        Assert.All(results.SkipLast(1), r => Assert.Equal(FrameResult.Continue, r));
        var transcript = Valid(Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal("The quick brown fox", transcript.Text);
        Assert.Equal("end_turn", transcript.StopReason);
        Assert.Equal(1, stream.ChunksRepaired);
        Assert.Equal(new TokenUsage(20, 5, 8, 0), stream.Usage);
    }

    [Fact]
    public void WithoutRepairTheFramesAreTranslatedAsTheyCame()
    {
        using var stream = new MessagesEventStream(repairer: null, _time);
        var output = new ArrayBufferWriter<byte>();
        stream.Begin("msg_1", "m", 1, output);

        foreach (var frame in new[] { ChatFrames.Content("The"), ChatFrames.Content("The quick"), ChatFrames.Finish("stop"), ChatFrames.Done })
        {
            Feed(stream, frame, output);
        }

        Assert.Equal("TheThe quick", Valid(Encoding.UTF8.GetString(output.WrittenSpan)).Text);
        Assert.Null(stream.Usage);
    }

    [Fact]
    public void APingIsDueAfterFifteenSecondsWithoutEventsAndEveryEventPutsItOff()
    {
        using var stream = new MessagesEventStream(new StreamRepairer(new StreamRepairOptions(), _time), _time);
        var output = new ArrayBufferWriter<byte>();
        stream.Begin("msg_1", "m", 1, output);
        var start = _time.GetTimestamp();
        Assert.Equal(start + Ticks(15), stream.Deadline);

        _time.Advance(TimeSpan.FromSeconds(10));
        Feed(stream, ChatFrames.Content("Hello there"), output);
        Assert.Equal(_time.GetTimestamp() + Ticks(15), stream.Deadline);

        _time.Advance(TimeSpan.FromSeconds(15));
        var before = Pings(output);
        stream.Expire(output);
        Assert.Equal(before + 1, Pings(output));
        Assert.Equal(_time.GetTimestamp() + Ticks(15), stream.Deadline);

        stream.Expire(output); // not due again yet
        Assert.Equal(before + 1, Pings(output));

        Feed(stream, ChatFrames.Finish("stop"), output);
        Feed(stream, ChatFrames.Done, output);
        Valid(Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void ABrokenUpstreamEndsWithAnErrorEventAndTheClosingEvents()
    {
        using var stream = new MessagesEventStream(new StreamRepairer(new StreamRepairOptions(), _time), _time);
        var output = new ArrayBufferWriter<byte>();
        stream.Begin("msg_1", "m", 1, output);
        Feed(stream, ChatFrames.Content("Partial answer"), output);

        stream.Fail(output, ProxyErrors.Interrupted);

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        var transcript = Valid(text);
        Assert.Equal("Partial answer", transcript.Text);
        Assert.Contains("event: error", text, StringComparison.Ordinal);
        Assert.Contains("\"type\":\"api_error\"", text, StringComparison.Ordinal);
        Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUpstreamThatEndsWithoutDoneIsClosedProperly()
    {
        using var stream = new MessagesEventStream(new StreamRepairer(new StreamRepairOptions(), _time), _time);
        var output = new ArrayBufferWriter<byte>();
        stream.Begin("msg_1", "m", 1, output);
        Feed(stream, ChatFrames.Content("Cut"), output);

        stream.Complete(output, "upstream ended");

        Assert.Equal("Cut", Valid(Encoding.UTF8.GetString(output.WrittenSpan)).Text);
    }

    [Fact]
    public void ARecycledStreamServesTheNextExchangeAsNew()
    {
        using var stream = new MessagesEventStream(new StreamRepairer(new StreamRepairOptions(), _time), _time);
        string Run()
        {
            var output = new ArrayBufferWriter<byte>();
            stream.Begin("msg_1", "m", 1, output);
            foreach (var frame in new[] { ChatFrames.Content("One"), ChatFrames.Content(" two"), ChatFrames.Finish("stop"), ChatFrames.Done })
            {
                Feed(stream, frame, output);
            }
            return Encoding.UTF8.GetString(output.WrittenSpan);
        }

        var first = Run();
        stream.Recycle();
        Assert.Equal(first, Run());
    }

    private static AnthropicEventSequence Valid(string sse) => AnthropicEventSequence.Read(sse).AssertValid(sse);

    private long Ticks(int seconds) => seconds * _time.TimestampFrequency;

    private static int Pings(ArrayBufferWriter<byte> output) =>
        Encoding.UTF8.GetString(output.WrittenSpan).Split("event: ping\n").Length - 1;

    private static FrameResult Feed(MessagesEventStream stream, string frame, IBufferWriter<byte> output) =>
        stream.Process(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(frame)), output);
}
