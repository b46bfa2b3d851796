using System.Text;
using QwenFastProxy.Http;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Tests.Streaming;

public sealed class UsageReaderTests
{
    private const string DashScopeUsage =
        """{"prompt_tokens":1200,"completion_tokens":340,"total_tokens":1540,"prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":200}}""";

    [Fact]
    public void ReadsEveryCountOfAUsageChunk()
    {
        var chunk = $$"""{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{{DashScopeUsage}},"model":"qwen3-coder-plus"}""";

        Assert.True(UsageReader.TryReadChunk(Encoding.UTF8.GetBytes(chunk), out var usage));
        Assert.Equal(new TokenUsage(1200, 340, 1024, 200), usage);
    }

    [Theory]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"prompt_tokens_details":null,"completion_tokens_details":null}}""", 7, 3)]
    [InlineData("""{"choices":[],"usage":{"audio_tokens":9,"prompt_tokens":7,"extra":{"a":[1,2]},"completion_tokens":3}}""", 7, 3)]
    [InlineData("""{"usage":{"prompt_tokens":"7","completion_tokens":3}}""", 0, 3)]
    public void DetailsMayBeNullAndUnknownFieldsAreSkipped(string chunk, long prompt, long completion)
    {
        Assert.True(UsageReader.TryReadChunk(Encoding.UTF8.GetBytes(chunk), out var usage));
        Assert.Equal(new TokenUsage(prompt, completion, 0, 0), usage);
    }

    [Theory]
    [InlineData("""{"choices":[]}""")]
    [InlineData("""{"choices":[],"usage":null}""")]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":7""")]
    [InlineData("""not json""")]
    [InlineData("""[1,2]""")]
    public void NoUsageOrABrokenOneIsNoUsage(string chunk)
    {
        Assert.False(UsageReader.TryReadChunk(Encoding.UTF8.GetBytes(chunk), out _));
    }

    [Fact]
    public void ReadsTheUsageNearTheEndOfAWholeAnswer()
    {
        var answer = $$"""{"choices":[{"index":0,"message":{"role":"assistant","content":"Use \"usage\": {\"prompt_tokens\": 1} here"},"finish_reason":"stop"}],"object":"chat.completion","usage" : {{DashScopeUsage}},"created":1733400000,"system_fingerprint":null,"model":"qwen3-coder-plus","id":"chatcmpl-1"}""";

        Assert.True(UsageReader.TryReadTail(Encoding.UTF8.GetBytes(answer), out var usage));
        Assert.Equal(new TokenUsage(1200, 340, 1024, 200), usage);
    }

    [Fact]
    public void TextThatOnlyLooksLikeUsageInsideAStringIsNotRead()
    {
        var answer = """{"choices":[{"message":{"content":"say \"usage\": {\"prompt_tokens\": 5}"}}],"id":"x"}""";

        Assert.False(UsageReader.TryReadTail(Encoding.UTF8.GetBytes(answer), out _));
    }

    [Fact]
    public void AUsageObjectCutShortIsNoUsage()
    {
        var answer = $$"""{"usage":{{DashScopeUsage}}}""";
        var tail = Encoding.UTF8.GetBytes(answer)[..^40];

        Assert.False(UsageReader.TryReadTail(tail, out _));
    }

    [Fact]
    public void AMessagesStreamStatesInputAtItsStartAndOutputAtItsEnd()
    {
        var head = Encoding.UTF8.GetBytes(
            "event: message_start\n" +
            """data: {"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":20,"cache_read_input_tokens":5,"output_tokens":1}}}""" + "\n\n");
        var tail = Encoding.UTF8.GetBytes(
            "event: message_delta\n" +
            """data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":56}}""" + "\n\n" +
            "event: message_stop\n" +
            """data: {"type":"message_stop"}""" + "\n\n");

        Assert.True(UsageReader.TryReadMessages(head, tail, out var usage));
        Assert.Equal(new TokenUsage(25, 56, 5, 0), usage);
    }

    [Fact]
    public void AMessageDeltaThatRestatesTheInputWins()
    {
        var head = Encoding.UTF8.GetBytes("""data: {"message":{"usage":{"input_tokens":9,"output_tokens":1}}}""");
        var tail = Encoding.UTF8.GetBytes("""data: {"usage":{"input_tokens":30,"cache_creation_input_tokens":2,"cache_read_input_tokens":0,"output_tokens":7}}""");

        Assert.True(UsageReader.TryReadMessages(head, tail, out var usage));
        Assert.Equal(new TokenUsage(32, 7, 0, 0), usage);
    }

    [Fact]
    public void AWholeMessagesAnswerHasItsUsageNearItsEnd()
    {
        var answer = Encoding.UTF8.GetBytes("""{"id":"msg_1","type":"message","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":3}}""");

        Assert.True(UsageReader.TryReadMessages(answer, answer, out var usage));
        Assert.Equal(new TokenUsage(12, 3, 0, 0), usage);
        Assert.False(UsageReader.TryReadMessages("event: ping\n"u8, "data: {}"u8, out _));
    }
}
