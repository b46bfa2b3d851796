using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Http;
using QwenFastProxy.Streaming;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.Tests.Streaming;

/// <summary>
/// The stutter repair on a forwarded Messages stream: the same decisions as on chat chunks, made on each content
/// block's <c>text_delta</c>/<c>thinking_delta</c>, and an event stream that stays well-formed.
/// </summary>
public sealed class MessagesEventRepairTests
{
    [Fact]
    public void TheRealisticFamilyIsRepairedAsItIsInChatChunks()
    {
        var unexpected = new List<string>();
        var counts = new Dictionary<string, int>();
        foreach (var member in RealisticStreams.All)
        {
            var expected = member.Case.Expected["0/content"];
            var deltas = member.Variant == "genuine" ? member.Deltas : RealisticStreams.Stutter(member.Deltas, int.Parse(member.Variant[2..], System.Globalization.CultureInfo.InvariantCulture));
            var transcript = Repair(Events(deltas, field: "text"));
            if (transcript.Text == expected)
            {
                counts[member.Variant] = counts.GetValueOrDefault(member.Variant) + 1;
            }
            else if (!(member.Variant == "K=2" && member.OpensAmbiguously && transcript.Text == member.Deltas[0] + expected))
            {
                unexpected.Add($"{member.Case.Name}: got {transcript.Text.Length} chars, expected {expected.Length}");
            }
        }

        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
        Assert.Equal(RealisticStreams.All.Count(m => m.Variant == "genuine"), counts["genuine"]);
        Assert.Equal(RealisticStreams.All.Count(m => m.Variant == "K=3"), counts["K=3"]);
    }

    [Fact]
    public void AClosingFenceEscapedAsUnicodeIsKept()
    {
        // System.Text.Json's default encoder writes each backtick as \u0060: the closing "```" is 18 raw bytes equal
        // to the block's first 18, which must not make it look like a long replay.
        string[] deltas = ["```", "js", "\n", "let", " x", " =", " 1", ";", "\n", "```"];

        var transcript = Repair(Events(deltas, field: "text", escaped: true));

        Assert.Equal(string.Concat(deltas), transcript.Text);
    }

    [Fact]
    public void ThinkingAndTextBlocksAreRepairedApart()
    {
        var events = new List<string> { Start() };
        events.AddRange(Block(0, "thinking", ["Let", "Let me", " think", " about it."]));
        events.AddRange(Block(1, "text", ["The", "The quick", " brown", " fox."]));
        events.AddRange(End());

        var transcript = Repair(events);

        Assert.Equal("Let me think about it.", transcript.Thinking);
        Assert.Equal("The quick brown fox.", transcript.Text);
    }

    [Fact]
    public void ToolInputAndOtherEventsPassUntouched()
    {
        var events = new List<string>
        {
            Start(),
            Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"read","input":{}}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"path\":"}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"path\":\"a.cs\"}"}}"""),
            Event("content_block_stop", """{"type":"content_block_stop","index":0}"""),
        };
        events.AddRange(End());

        var output = Run(events, out _);

        Assert.Equal(string.Concat(events), output);
    }

    [Fact]
    public void ABrokenStreamEndsWithAnAnthropicErrorEvent()
    {
        using var repairer = new StreamRepairer(new StreamRepairOptions(), new FakeTimeProvider()) { MessagesEvents = true };
        var output = new ArrayBufferWriter<byte>();
        foreach (var e in new[] { Start() }.Concat(Block(0, "text", ["Hi", "Hi there"]).Take(3)))
        {
            StreamRepairHarness.Feed(repairer, e, output);
        }

        repairer.Fail(output, ProxyErrors.Interrupted);

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        Assert.Contains("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"Hi"}}""", "Json", 1, 3)]
    [InlineData("""{"delta":{"text":"Hi","type":"text_delta"},"index":2,"type":"content_block_delta"}""", "Json", 1, 2)]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hm"}}""", "Json", 1, 0)]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}""", "Json", 0, -1)]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}""", "Json", 0, -1)]
    [InlineData("""{"type":"content_block_stop","index":4}""", "BlockEnd", 0, -1)]
    [InlineData("""{"type":"message_stop"}""", "Done", 0, -1)]
    [InlineData("""{"type":"ping"}""", "Json", 0, -1)]
    [InlineData("""{"type":"content_block_delta","index":0,"delta":""", "Malformed", 0, -1)]
    public void TheScannerFindsTheDeltaStringAndTheEnds(string json, string kindName, int count, int block)
    {
        var tokens = new DeltaToken[ChunkScanner.MaxTokens];
        var kind = Enum.Parse<ChunkKind>(kindName);

        Assert.Equal(kind, MessagesEventScanner.Scan(Encoding.UTF8.GetBytes(json), tokens, out var found, out var ended));

        Assert.Equal(count, found);
        if (count == 1)
        {
            Assert.Equal(block, tokens[0].Choice);
            Assert.Equal(json.Contains("thinking_delta", StringComparison.Ordinal) ? "Hm" : "Hi",
                Encoding.UTF8.GetString(tokens[0].Raw(Encoding.UTF8.GetBytes(json))));
        }
        if (kind == ChunkKind.BlockEnd)
        {
            Assert.Equal(4, ended);
        }
    }

    private static AnthropicEventSequence Repair(List<string> events)
    {
        var output = Run(events, out _);
        return AnthropicEventSequence.Read(output).AssertValid(output);
    }

    private static string Run(List<string> events, out StreamRepairer repairer)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        repairer = new StreamRepairer(new StreamRepairOptions(), time) { MessagesEvents = true };
        var output = new ArrayBufferWriter<byte>();
        foreach (var e in events)
        {
            time.Advance(StreamRepairHarness.Gap); // a typical token cadence, as the chat family runs at
            if (StreamRepairHarness.Feed(repairer, e, output) == FrameResult.Done)
            {
                break;
            }
        }
        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        repairer.Dispose();
        return text;
    }

    private static List<string> Events(IReadOnlyList<string> deltas, string field, bool escaped = false)
    {
        var events = new List<string> { Start() };
        events.AddRange(Block(0, field, deltas, escaped));
        events.AddRange(End());
        return events;
    }

    private static string Start() => Event("message_start",
        """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"qwen3-coder-plus","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}""");

    private static IEnumerable<string> Block(int index, string field, IReadOnlyList<string> deltas, bool escaped = false)
    {
        var (blockType, deltaType) = field == "text" ? ("text", "text_delta") : ("thinking", "thinking_delta");
        var start = blockType == "text" ? """{"type":"text","text":""}""" : """{"type":"thinking","thinking":"","signature":""}""";
        yield return Event("content_block_start", $$"""{"type":"content_block_start","index":{{index}},"content_block":{{start}}}""");
        foreach (var delta in deltas)
        {
            yield return Event("content_block_delta",
                $$"""{"type":"content_block_delta","index":{{index}},"delta":{"type":"{{deltaType}}","{{field}}":""" + JsonSerializer.Serialize(delta, escaped ? JsonSerializerOptions.Default : Relaxed) + "}}");
        }
        yield return Event("content_block_stop", $$"""{"type":"content_block_stop","index":{{index}}}""");
    }

    private static IEnumerable<string> End() =>
    [
        Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}"""),
        Event("message_stop", """{"type":"message_stop"}"""),
    ];

    // Models' streams carry backticks and '+' unescaped, as the chat corpus does; see StutterCorpus.
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Event(string type, string data) => $"event: {type}\ndata: {data}\n\n";
}
