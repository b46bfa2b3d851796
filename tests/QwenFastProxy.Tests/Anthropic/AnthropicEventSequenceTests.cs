using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.Tests.Anthropic;

public sealed class AnthropicEventSequenceTests
{
    private const string Start = """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"qwen","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":0}}}""";
    private const string Delta = """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}""";
    private const string Stop = """{"type":"message_stop"}""";

    private static string E(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return $"event: {document.RootElement.GetProperty("type").GetString()}\ndata: {json}\n\n";
    }

    private static string TextStart(int index) => E($$$"""{"type":"content_block_start","index":{{{index}}},"content_block":{"type":"text","text":""}}""");

    private static string ThinkingStart(int index) => E($$$"""{"type":"content_block_start","index":{{{index}}},"content_block":{"type":"thinking","thinking":"","signature":""}}""");

    private static string ToolStart(int index, string id = "call_1", string name = "read") =>
        E("{\"type\":\"content_block_start\",\"index\":" + index + ",\"content_block\":{\"type\":\"tool_use\",\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"input\":{}}}");

    private static string TextDelta(int index, string text) => E($$$"""{"type":"content_block_delta","index":{{{index}}},"delta":{"type":"text_delta","text":"{{{text}}}"}}""");

    private static string ThinkingDelta(int index, string text) => E($$$"""{"type":"content_block_delta","index":{{{index}}},"delta":{"type":"thinking_delta","thinking":"{{{text}}}"}}""");

    private static string InputDelta(int index, string partialJson) =>
        E($$$"""{"type":"content_block_delta","index":{{{index}}},"delta":{"type":"input_json_delta","partial_json":{{{System.Text.Json.JsonSerializer.Serialize(partialJson)}}}}}""");

    private static string BlockStop(int index) => E($$$"""{"type":"content_block_stop","index":{{{index}}}}""");

    private static void AssertViolation(string sse, string expected)
    {
        var sequence = AnthropicEventSequence.Read(sse);
        Assert.Contains(sequence.Violations, v => v.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AcceptsAWellFormedStreamAndKeepsWhatTheClientWouldHave()
    {
        var sse = E(Start) + E("""{"type":"ping"}""")
            + ThinkingStart(0) + ThinkingDelta(0, "hmm") + E("""{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":""}}""") + BlockStop(0)
            + TextStart(1) + TextDelta(1, "Hi") + TextDelta(1, " there") + BlockStop(1)
            + ToolStart(2) + InputDelta(2, "{\"path\":") + InputDelta(2, "\"a.txt\"}") + BlockStop(2)
            + ": a comment\n\n"
            + E(Delta) + E(Stop);

        var sequence = AnthropicEventSequence.Read(sse).AssertValid(sse);

        Assert.Equal("hmm", sequence.Thinking);
        Assert.Equal("Hi there", sequence.Text);
        var tool = Assert.Single(sequence.ToolUses);
        Assert.Equal(("call_1", "read", "a.txt"), (tool.Id, tool.Name, tool.Input.GetProperty("path").GetString()));
        Assert.Equal("end_turn", sequence.StopReason);
    }

    [Fact]
    public void RejectsABlockIndexWithAGap() =>
        AssertViolation(E(Start) + TextStart(1) + TextDelta(1, "x") + BlockStop(1) + E(Delta) + E(Stop), "content_block_start index 1, expected 0");

    [Fact]
    public void RejectsADeltaForABlockThatIsNotTheOpenOne() =>
        AssertViolation(E(Start) + TextStart(0) + TextDelta(1, "x") + BlockStop(0) + E(Delta) + E(Stop), "Content block not found");

    [Fact]
    public void RejectsADeltaForAClosedBlock() =>
        AssertViolation(E(Start) + TextStart(0) + BlockStop(0) + TextDelta(0, "late") + E(Delta) + E(Stop), "Content block not found");

    [Fact]
    public void RejectsABlockThatOpensWhileAnotherIsOpen() =>
        AssertViolation(E(Start) + TextStart(0) + TextStart(1) + BlockStop(1) + E(Delta) + E(Stop), "while block 0 is open");

    [Fact]
    public void RejectsAThinkingDeltaInsideATextBlock() =>
        AssertViolation(E(Start) + TextStart(0) + ThinkingDelta(0, "x") + BlockStop(0) + E(Delta) + E(Stop), "thinking_delta inside a text block");

    [Fact]
    public void RejectsATextDeltaInsideAThinkingBlock() =>
        AssertViolation(E(Start) + ThinkingStart(0) + TextDelta(0, "x") + BlockStop(0) + E(Delta) + E(Stop), "text_delta inside a thinking block");

    [Fact]
    public void RejectsADuplicateMessageStart() =>
        AssertViolation(E(Start) + E(Start) + E(Delta) + E(Stop), "duplicate message_start");

    [Fact]
    public void RejectsToolInputThatDoesNotParse() =>
        AssertViolation(E(Start) + ToolStart(0) + InputDelta(0, "{\"path\":") + BlockStop(0) + E(Delta) + E(Stop), "input does not parse");

    [Fact]
    public void RejectsToolInputThatIsNotAnObject() =>
        AssertViolation(E(Start) + ToolStart(0) + InputDelta(0, "[1]") + BlockStop(0) + E(Delta) + E(Stop), "not an object");

    [Fact]
    public void RejectsAToolBlockWhoseStartLacksTheName() =>
        AssertViolation(E(Start) + ToolStart(0, name: "") + InputDelta(0, "{}") + BlockStop(0) + E(Delta) + E(Stop), "without an id or a name");

    [Fact]
    public void RejectsAToolBlockWhoseStartLacksTheId() =>
        AssertViolation(E(Start) + ToolStart(0, id: "") + InputDelta(0, "{}") + BlockStop(0) + E(Delta) + E(Stop), "without an id or a name");

    [Fact]
    public void RejectsAStreamWithoutMessageStop() =>
        AssertViolation(E(Start) + TextStart(0) + BlockStop(0) + E(Delta), "without message_stop");

    [Fact]
    public void RejectsAStreamWithoutMessageDelta() =>
        AssertViolation(E(Start) + TextStart(0) + BlockStop(0) + E(Stop), "without message_delta");

    [Fact]
    public void RejectsTwoMessageDeltas() =>
        AssertViolation(E(Start) + E(Delta) + E(Delta) + E(Stop), "more than one message_delta");

    [Fact]
    public void RejectsEventsAfterMessageStop() =>
        AssertViolation(E(Start) + E(Delta) + E(Stop) + E("""{"type":"ping"}"""), "ping after message_stop");

    [Fact]
    public void RejectsAStreamThatEndsWithABlockOpen() =>
        AssertViolation(E(Start) + TextStart(0) + E(Delta) + E(Stop), "message_delta with content block 0 still open");

    [Fact]
    public void RejectsAnEventNameThatDisagreesWithTheDataType() =>
        AssertViolation("event: message_start\ndata: " + Stop + "\n\n", "carries data of type message_stop");

    [Fact]
    public void AcceptsACutToolInputWhenTheStreamEndedInAnError()
    {
        var sse = E(Start) + ToolStart(0) + InputDelta(0, "{\"path\":") + BlockStop(0)
            + E("""{"type":"error","error":{"type":"api_error","message":"upstream broke"}}""") + E(Delta) + E(Stop);

        var sequence = AnthropicEventSequence.Read(sse).AssertValid(sse);

        Assert.Equal("upstream broke", sequence.Error!.Value.GetProperty("message").GetString());
    }
}
