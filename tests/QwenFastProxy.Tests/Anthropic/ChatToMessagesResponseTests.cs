using System.Buffers;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Anthropic;

namespace QwenFastProxy.Tests.Anthropic;

public sealed class ChatToMessagesResponseTests
{
    private static JsonElement Convert(string chatJson)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(ChatToMessagesResponse.TryWrite(Encoding.UTF8.GetBytes(chatJson), "qwen3-coder-plus", output));
        using var document = JsonDocument.Parse(output.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static string Completion(string message, string finishReason = "stop", string usage = """{"prompt_tokens":50,"completion_tokens":9,"prompt_tokens_details":{"cached_tokens":20},"completion_tokens_details":{"reasoning_tokens":4}}""") =>
        $$"""{"id":"chatcmpl-9","object":"chat.completion","model":"qwen3-coder-plus","choices":[{"message":{{message}},"finish_reason":"{{finishReason}}","index":0}],"usage":{{usage}}}""";

    [Theory]
    [InlineData("""{"id":"chatcmpl-abc123","choices":[{"message":{"content":"Hi"},"finish_reason":"stop"}]}""", "msg_abc123")]
    [InlineData("""{"id":"resp-7","choices":[{"message":{"content":"Hi"},"finish_reason":"stop"}]}""", "msg_resp-7")]
    public void TheMessageIdIsAnAnthropicIdMadeFromTheUpstreams(string completion, string expected) =>
        Assert.Equal(expected, Convert(completion).GetProperty("id").GetString());

    [Fact]
    public void AnAnswerWithoutAnIdGetsAFreshMessageId()
    {
        const string completion = """{"choices":[{"message":{"content":"Hi"},"finish_reason":"stop"}]}""";

        var first = Convert(completion).GetProperty("id").GetString()!;
        var second = Convert(completion).GetProperty("id").GetString()!;

        Assert.Matches("^msg_[0-9a-f]{32}$", first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void ThinkingTextAndToolCallsBecomeContentBlocksInThatOrder()
    {
        var message = Convert(Completion("""
            {"role":"assistant","reasoning_content":"Think \"first\".","content":"Reading é.","tool_calls":[
              {"id":"call_a","type":"function","function":{"name":"read","arguments":"{\"path\":\"a.txt\"}"}},
              {"id":"call_b","type":"function","function":{"name":"grep","arguments":"{\"pattern\":\"x\",\"n\":2}"}}]}
            """, "tool_calls"));

        Assert.Equal("msg_9", message.GetProperty("id").GetString());
        Assert.Equal(("message", "assistant", "qwen3-coder-plus"), (message.GetProperty("type").GetString(), message.GetProperty("role").GetString(), message.GetProperty("model").GetString()));
        var content = message.GetProperty("content").EnumerateArray().ToArray();
        Assert.Equal(["thinking", "text", "tool_use", "tool_use"], content.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("Think \"first\".", content[0].GetProperty("thinking").GetString());
        Assert.Equal("", content[0].GetProperty("signature").GetString());
        Assert.Equal("Reading é.", content[1].GetProperty("text").GetString());
        Assert.Equal(("call_a", "read", "a.txt"), (content[2].GetProperty("id").GetString(), content[2].GetProperty("name").GetString(), content[2].GetProperty("input").GetProperty("path").GetString()));
        Assert.Equal(2, content[3].GetProperty("input").GetProperty("n").GetInt32());
        Assert.Equal("tool_use", message.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_sequence").ValueKind);
    }

    [Fact]
    public void UsageTakesTheCachedTokensOutOfTheInput()
    {
        var usage = Convert(Completion("""{"role":"assistant","content":"hi"}""")).GetProperty("usage");

        Assert.Equal((30, 20, 9), (usage.GetProperty("input_tokens").GetInt32(), usage.GetProperty("cache_read_input_tokens").GetInt32(), usage.GetProperty("output_tokens").GetInt32()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\\\"path\\\":")]
    [InlineData("[1,2]")]
    public void ArgumentsThatAreEmptyBrokenOrNotAnObjectBecomeAnEmptyInput(string arguments)
    {
        var message = Convert(Completion("""{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"ARGS"}}]}""".Replace("ARGS", arguments, StringComparison.Ordinal), "tool_calls"));

        var input = message.GetProperty("content")[0].GetProperty("input");
        Assert.Equal(JsonValueKind.Object, input.ValueKind);
        Assert.Empty(input.EnumerateObject());
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("content_filter", "refusal")]
    public void TheFinishReasonBecomesTheStopReason(string finishReason, string stopReason) =>
        Assert.Equal(stopReason, Convert(Completion("""{"role":"assistant","content":"x"}""", finishReason)).GetProperty("stop_reason").GetString());

    [Fact]
    public void EmptyTextMakesNoBlockAndMissingUsageIsZero()
    {
        var message = Convert("""{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"","reasoning_content":null},"finish_reason":"stop"}]}""");

        Assert.Empty(message.GetProperty("content").EnumerateArray());
        Assert.Equal(0, message.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Theory]
    [InlineData("""{"error":{"message":"bad","type":"invalid_request_error"}}""")]
    [InlineData("""{"choices":[]}""")]
    [InlineData("not json")]
    [InlineData("[1]")]
    public void ABodyThatIsNotACompletionWritesNothing(string body)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.False(ChatToMessagesResponse.TryWrite(Encoding.UTF8.GetBytes(body), "m", output));
        Assert.Equal(0, output.WrittenCount);
    }
}
