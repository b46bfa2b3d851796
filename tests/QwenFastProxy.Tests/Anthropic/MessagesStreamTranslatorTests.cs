using System.Buffers;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Anthropic;
using QwenFastProxy.TestCorpus;
using static QwenFastProxy.Tests.Anthropic.ChatFrames;

namespace QwenFastProxy.Tests.Anthropic;

public sealed class MessagesStreamTranslatorTests
{
    private const string Model = "qwen3-coder-plus";

    private sealed record Run(string Sse, AnthropicEventSequence Events, MessagesStreamTranslator Translator);

    // Each frame in its own Translate call, then Finish for a body that ends (a no-op after [DONE]).
    private static Run Translate(params string[] frames)
    {
        var translator = new MessagesStreamTranslator();
        var output = new ArrayBufferWriter<byte>();
        translator.Begin("msg_1", Model, 42, output);
        foreach (var frame in frames)
        {
            translator.Translate(Encoding.UTF8.GetBytes(frame), output);
        }
        translator.Finish(output);
        return Checked(output, translator);
    }

    private static Run Checked(ArrayBufferWriter<byte> output, MessagesStreamTranslator translator)
    {
        var sse = Encoding.UTF8.GetString(output.WrittenSpan);
        return new Run(sse, AnthropicEventSequence.Read(sse).AssertValid(sse), translator);
    }

    private static JsonElement Data(string sse, int eventNumber)
    {
        var frame = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[eventNumber];
        using var document = JsonDocument.Parse(frame[(frame.IndexOf("data: ", StringComparison.Ordinal) + 6)..]);
        return document.RootElement.Clone();
    }

    private static void AssertInput(AnthropicEventSequence.Block tool, string expectedJson) =>
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(expectedJson).RootElement, tool.Input), $"input {tool.Content} is not {expectedJson}");

    [Fact]
    public void BeginsWithOneMessageStartCarryingTheEstimateThenAPing()
    {
        var run = Translate(Content("hi"), Done);

        Assert.Equal(["message_start", "ping"], run.Events.EventNames.Take(2));
        Assert.Single(run.Events.EventNames, "message_start");
        var message = Data(run.Sse, 0).GetProperty("message");
        Assert.Equal("msg_1", message.GetProperty("id").GetString());
        Assert.Equal(Model, message.GetProperty("model").GetString());
        Assert.Equal(42, message.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.StartsWith("event: message_start\ndata: {\"type\":\"message_start\",", run.Sse, StringComparison.Ordinal);
    }

    [Fact]
    public void ReasoningThenContentBecomeAThinkingBlockThenATextBlock()
    {
        var run = Translate(Role(), Reasoning("Let me "), Reasoning("think."), Content("The answer"), Content(" is 4."), Finish("stop"), Usage(10, 7), Done);

        Assert.Equal(["thinking", "text"], run.Events.Blocks.Select(b => b.Type));
        Assert.Equal("Let me think.", run.Events.Thinking);
        Assert.Equal("The answer is 4.", run.Events.Text);
        Assert.Equal("end_turn", run.Events.StopReason);
    }

    [Fact]
    public void AThinkingBlockGetsASignatureDeltaBeforeItCloses()
    {
        var run = Translate(Reasoning("hmm"), Content("ok"), Done);

        var thinking = run.Events.Blocks[0];
        Assert.Equal("", thinking.Signature);
        var stop = run.Sse.IndexOf("event: content_block_stop", StringComparison.Ordinal);
        Assert.InRange(run.Sse.IndexOf("signature_delta", StringComparison.Ordinal), 0, stop);
    }

    [Fact]
    public void EachChangeOfKindClosesTheBlockAndOpensTheNext()
    {
        var run = Translate(Reasoning("a"), Content("b"), Reasoning("c"), Content("d"), Done);

        Assert.Equal(["thinking", "text", "thinking", "text"], run.Events.Blocks.Select(b => b.Type));
        Assert.Equal([0, 1, 2, 3], run.Events.Blocks.Select(b => b.Index));
    }

    [Fact]
    public void EmptyDeltasOpenNothing()
    {
        var run = Translate(Role(), Content(""), Reasoning(""), Tool(0, "", "", ""), Finish("stop"), Done);

        Assert.Empty(run.Events.Blocks);
        Assert.Equal("end_turn", run.Events.StopReason);
    }

    [Fact]
    public void TextThenTwoToolCallsAsQwenStreamsThem()
    {
        var run = Translate(
            Content("I'll read both files."),
            Tool(0, "call_a", "read_file", ""),
            Tool(0, "", null, "{\"path\": "),
            Tool(0, "", null, "\"a.txt\"}"),
            Tool(1, "call_b", "read_file", ""),
            Tool(1, "", null, "{\"path\""),
            Tool(1, "", null, ": \"b.txt\""),
            Tool(1, "", null, ", \"limit\": 20}"),
            Finish("tool_calls"),
            Usage(120, 40),
            Done);

        Assert.Equal(["text", "tool_use", "tool_use"], run.Events.Blocks.Select(b => b.Type));
        var tools = run.Events.ToolUses.ToArray();
        Assert.Equal(("call_a", "read_file"), (tools[0].Id, tools[0].Name));
        Assert.Equal(("call_b", "read_file"), (tools[1].Id, tools[1].Name));
        AssertInput(tools[0], """{"path":"a.txt"}""");
        AssertInput(tools[1], """{"path":"b.txt","limit":20}""");
        Assert.Equal("tool_use", run.Events.StopReason);
    }

    [Fact]
    public void AToolBlockOpensOnlyOnceIdAndNameAreKnownAndStartsWithTheHeldArguments()
    {
        var run = Translate(
            Tool(0, null, null, "{\"command\":"),
            Tool(0, "call_x", null, " \"ls"),
            Tool(0, null, "bash", " -la\""),
            Tool(0, null, null, "}"),
            Finish("tool_calls"),
            Done);

        var tool = Assert.Single(run.Events.ToolUses);
        Assert.Equal(("call_x", "bash"), (tool.Id, tool.Name));
        AssertInput(tool, """{"command":"ls -la"}""");
        var firstDelta = run.Events.EventNames.IndexOf("content_block_delta");
        Assert.Equal("{\"command\": \"ls -la\"", Data(run.Sse, firstDelta).GetProperty("delta").GetProperty("partial_json").GetString());
    }

    [Fact]
    public void InterleavedToolCallsWaitForTheirTurnAndLoseNoBytes()
    {
        var run = Translate(
            Tool(0, "call_a", "read_file", "{\"pa"),
            Tool(1, "call_b", "grep", "{\"pattern\":"),
            Tool(0, null, null, "th\":\"a\"}"),
            Tool(1, null, null, "\"TODO\"}"),
            Finish("tool_calls"),
            Done);

        var tools = run.Events.ToolUses.ToArray();
        Assert.Equal(["call_a", "call_b"], tools.Select(t => t.Id));
        AssertInput(tools[0], """{"path":"a"}""");
        AssertInput(tools[1], """{"pattern":"TODO"}""");
        Assert.Equal(0, run.Translator.DroppedToolCalls);
    }

    [Fact]
    public void AToolCallThatBecomesReadyAfterALaterOneStillGoesFirstWhenTheTurnIsFree()
    {
        var run = Translate(
            Tool(0, null, null, "{\"a\":1}"),
            Tool(1, "call_b", "second", "{\"b\":2}"),
            Tool(0, "call_a", "first", null),
            Finish("tool_calls"),
            Done);

        Assert.Equal(["second", "first"], run.Events.ToolUses.Select(t => t.Name));
        AssertInput(run.Events.ToolUses.First(), """{"b":2}""");
        AssertInput(run.Events.ToolUses.Last(), """{"a":1}""");
    }

    [Fact]
    public void ToolArgumentsAfterTheBlockClosedAreCountedAsDropped()
    {
        var run = Translate(Tool(0, "call_a", "f", "{}"), Content("text"), Tool(0, null, null, " "), Done);

        Assert.Equal(["tool_use", "text"], run.Events.Blocks.Select(b => b.Type));
        Assert.Equal(1, run.Translator.DroppedToolCalls);
    }

    [Fact]
    public void AToolCallWithoutArgumentsGetsAnEmptyObject()
    {
        var run = Translate(Tool(0, "call_a", "list", ""), Finish("tool_calls"), Done);

        var tool = Assert.Single(run.Events.ToolUses);
        Assert.Equal("{}", tool.Content.ToString());
    }

    [Fact]
    public void AToolCallNeverNamedIsDroppedAndOneWithoutAnIdGetsOne()
    {
        var run = Translate(Tool(0, "call_a", null, "{}"), Tool(1, null, "named", "{\"x\":1}"), Finish("tool_calls"), Done);

        var tool = Assert.Single(run.Events.ToolUses);
        Assert.Equal("named", tool.Name);
        Assert.Equal("toolu_1_1", tool.Id);
        Assert.Equal(1, run.Translator.DroppedToolCalls);
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("content_filter", "refusal")]
    [InlineData("insufficient_system_resource", "end_turn")]
    public void TheFinishReasonBecomesTheStopReason(string finishReason, string stopReason) =>
        Assert.Equal(stopReason, Translate(Content("x"), Finish(finishReason), Done).Events.StopReason);

    [Fact]
    public void AStreamWithoutFinishReasonEndsTheTurn() =>
        Assert.Equal("end_turn", Translate(Content("x")).Events.StopReason);

    [Fact]
    public void ToolCallsThatSayStopAreReportedAsToolUse() =>
        Assert.Equal("tool_use", Translate(Tool(0, "call_a", "f", "{}"), Finish("stop"), Done).Events.StopReason);

    [Fact]
    public void TheUsageChunkAfterTheFinishSuppliesTheUsage()
    {
        var run = Translate(Reasoning("r"), Content("x"), Finish("stop"), Usage(prompt: 100, completion: 20, cached: 30, reasoning: 5), Done);

        var usage = run.Events.Usage!.Value;
        Assert.Equal(70, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(30, usage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(20, usage.GetProperty("output_tokens").GetInt32());
        Assert.True(run.Translator.UsageReported);
        Assert.Equal(new MessagesUsage(70, 30, 20, 5), run.Translator.Usage);
    }

    [Fact]
    public void WithoutAUsageChunkTheUsageIsTheEstimate()
    {
        var run = Translate(Content("12345678"), Done);

        Assert.False(run.Translator.UsageReported);
        Assert.Equal(new MessagesUsage(42, 0, 2, 0), run.Translator.Usage);
        Assert.Equal(2, run.Events.Usage!.Value.GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public void DoneFinishesOnceAndLaterCallsWriteNothing()
    {
        var translator = new MessagesStreamTranslator();
        var output = new ArrayBufferWriter<byte>();
        translator.Begin("msg_1", Model, 1, output);
        translator.Translate(Encoding.UTF8.GetBytes(Content("x") + Done), output);
        var length = output.WrittenCount;

        translator.Finish(output);
        translator.Translate(Encoding.UTF8.GetBytes(Content("late")), output);
        translator.Ping(output);
        translator.Fail("api_error", "late", output);

        Assert.True(translator.Finished);
        Assert.Equal(length, output.WrittenCount);
        var run = Checked(output, translator);
        Assert.Single(run.Events.EventNames, "message_delta");
        Assert.Single(run.Events.EventNames, "message_stop");
    }

    [Fact]
    public void FramesTranslateTheSameOneByOneOrAllAtOnce()
    {
        string[] frames = [Reasoning("a"), Content("b"), Tool(0, "c", "d", "{}"), Finish("tool_calls"), Usage(5, 5), Done];
        var oneByOne = Translate(frames).Sse;

        var all = Translate(string.Concat(frames)).Sse;

        Assert.Equal(oneByOne, all);
    }

    [Fact]
    public void CommentsEventLinesAndCarriageReturnsAreUnderstood()
    {
        var run = Translate(": keep-alive\n\n", "event: message\r\n" + Content("a").Replace("\n\n", "\r\n\r\n", StringComparison.Ordinal), "id: 7\n" + Content("b"), "\n\n" + Done);

        Assert.Equal("ab", run.Events.Text);
        Assert.Equal(0, run.Translator.MalformedFrames);
    }

    [Fact]
    public void DataSplitOverSeveralLinesIsJoined()
    {
        var run = Translate("data: {\"choices\":[{\"index\":0,\n" + "data: \"delta\":{\"content\":\"joined\"}}]}\n\n", Done);

        Assert.Equal("joined", run.Events.Text);
    }

    [Fact]
    public void EscapesAndUnicodePassThroughUnchanged()
    {
        var text = "quote \" backslash \\ newline \n tab \t é 日本 🙂 </script>";
        var run = Translate(Content(text), Tool(0, "c\"1", "f", JsonSerializer.Serialize(new { s = text })), Done);

        Assert.Equal(text, run.Events.Text);
        var tool = Assert.Single(run.Events.ToolUses);
        Assert.Equal("c\"1", tool.Id);
        Assert.Equal(text, tool.Input.GetProperty("s").GetString());
    }

    [Fact]
    public void OnlyTheFirstChoiceIsTranslated()
    {
        var second = "data: {\"choices\":[{\"delta\":{\"content\":\"other\"},\"index\":1}]}\n\n";

        var run = Translate(second, Content("mine"), Done);

        Assert.Equal("mine", run.Events.Text);
    }

    [Fact]
    public void AMalformedFrameIsSkippedWithoutWritingAnything()
    {
        var run = Translate(Content("a"), "data: {\"choices\":[{\"delta\":{\"content\":\"cut\n\n", "data: not json\n\n", Content("b"), Done);

        Assert.Equal("ab", run.Events.Text);
        Assert.Equal(2, run.Translator.MalformedFrames);
    }

    [Fact]
    public void AnErrorPayloadFailsTheStreamWithItsMessage()
    {
        var run = Translate(Content("partial"), "data: {\"error\":{\"message\":\"Quota exceeded\",\"type\":\"rate_limit\",\"code\":\"429\"}}\n\n", Content("never"));

        var error = run.Events.Error!.Value;
        Assert.Equal(("api_error", "Quota exceeded"), (error.GetProperty("type").GetString(), error.GetProperty("message").GetString()));
        Assert.Equal("partial", run.Events.Text);
        Assert.Equal(["content_block_stop", "error", "message_delta", "message_stop"], run.Events.EventNames.TakeLast(4));
        Assert.True(run.Translator.Finished);
    }

    [Fact]
    public void AnErrorEventFailsTheStream()
    {
        var run = Translate("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}\n\n");

        Assert.Equal("busy", run.Events.Error!.Value.GetProperty("message").GetString());
    }

    [Fact]
    public void AStreamThatBreaksMidToolFailsWithClosedBlocksAndNoHeldCallsDelivered()
    {
        var translator = new MessagesStreamTranslator();
        var output = new ArrayBufferWriter<byte>();
        translator.Begin("msg_1", Model, 1, output);
        translator.Translate(Encoding.UTF8.GetBytes(Content("Running it.") + Tool(0, "call_a", "bash", "{\"command\": \"ma") + Tool(1, "call_b", "bash", "{}")), output);

        translator.Fail("api_error", "The upstream connection broke.", output);
        translator.Finish(output);

        var run = Checked(output, translator);
        Assert.Equal(["text", "tool_use"], run.Events.Blocks.Select(b => b.Type));
        Assert.All(run.Events.Blocks, b => Assert.True(b.Closed));
        Assert.Equal("The upstream connection broke.", run.Events.Error!.Value.GetProperty("message").GetString());
        Assert.Equal(1, translator.DroppedToolCalls);
    }

    [Fact]
    public void PingWritesAPingUntilTheMessageStops()
    {
        var translator = new MessagesStreamTranslator();
        var output = new ArrayBufferWriter<byte>();
        translator.Begin("msg_1", Model, 1, output);

        translator.Ping(output);
        translator.Finish(output);

        var run = Checked(output, translator);
        Assert.Equal(["message_start", "ping", "ping", "message_delta", "message_stop"], run.Events.EventNames);
        Assert.Equal("event: ping\ndata: {\"type\":\"ping\"}\n\n", run.Sse.Split("\n\n")[1] + "\n\n");
    }

    [Fact]
    public void ATranslatorServesTheNextExchangeAfterBegin()
    {
        using var translator = new MessagesStreamTranslator();
        string[] frames = [Reasoning("r"), Tool(0, null, null, "{\"held\":"), Tool(0, "call_a", "f", "true}"), Tool(1, "call_b", "g", "{}"), Finish("tool_calls"), Usage(3, 4), Done];
        var first = new ArrayBufferWriter<byte>();
        translator.Begin("msg_1", Model, 1, first);
        translator.Translate(Encoding.UTF8.GetBytes(Content("a") + Tool(0, "x", "y", "{\"z\":")), first);

        var second = new ArrayBufferWriter<byte>();
        translator.Begin("msg_1", Model, 42, second);
        foreach (var frame in frames)
        {
            translator.Translate(Encoding.UTF8.GetBytes(frame), second);
        }

        Assert.Equal(Translate(frames).Sse, Encoding.UTF8.GetString(second.WrittenSpan));
    }

    [Fact]
    public void NothingTranslatesBeforeBegin() =>
        Assert.Throws<InvalidOperationException>(() => new MessagesStreamTranslator().Translate("data: [DONE]\n\n"u8, new ArrayBufferWriter<byte>()));
}
