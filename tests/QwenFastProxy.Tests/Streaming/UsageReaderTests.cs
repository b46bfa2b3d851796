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
}
