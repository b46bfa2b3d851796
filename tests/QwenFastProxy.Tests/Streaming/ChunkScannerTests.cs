using System.Text;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Tests.Streaming;

public sealed class ChunkScannerTests
{
    [Fact]
    public void FindsContentAndReasoningOfEveryChoice()
    {
        var json = Encoding.UTF8.GetBytes("""{"id":"x","choices":[{"delta":{"content":"a\"b","reasoning_content":"r"},"index":1},{"index":0,"delta":{"role":"assistant","content":"c"}}],"usage":null}""");
        var tokens = new DeltaToken[ChunkScanner.MaxTokens];

        var kind = ChunkScanner.Scan(json, tokens, out var count);

        Assert.Equal(ChunkKind.Json, kind);
        Assert.Equal(3, count);
        Assert.Equal((1, DeltaField.Content, "a\\\"b"), (tokens[0].Choice, tokens[0].Field, Encoding.UTF8.GetString(tokens[0].Raw(json))));
        Assert.Equal((1, DeltaField.Reasoning, "r"), (tokens[1].Choice, tokens[1].Field, Encoding.UTF8.GetString(tokens[1].Raw(json))));
        Assert.Equal((0, DeltaField.Content, "c"), (tokens[2].Choice, tokens[2].Field, Encoding.UTF8.GetString(tokens[2].Raw(json))));
    }

    [Theory]
    [InlineData("""{"choices":[{"index":0,"delta":{"content":null}}]}""")]
    [InlineData("""{"choices":[{"index":0,"delta":{}}]}""")]
    [InlineData("""{"choices":[],"usage":null}""")]
    [InlineData("""{"choices":null}""")]
    [InlineData("""{"error":{"message":"boom"}}""")]
    [InlineData("""{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"content\":\"x\"}"}}]}}]}""")]
    public void FindsNoDeltaTextWhereThereIsNone(string json)
    {
        var kind = ChunkScanner.Scan(Encoding.UTF8.GetBytes(json), new DeltaToken[ChunkScanner.MaxTokens], out var count);

        Assert.Equal(ChunkKind.Json, kind);
        Assert.Equal(0, count);
    }

    [Theory]
    [InlineData("""{"id":"x","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}}""", "UsageOnly")]
    [InlineData("""{"usage":{"total_tokens":3},"choices":null}""", "UsageOnly")]
    [InlineData("""{"usage":{"total_tokens":3}}""", "UsageOnly")]
    [InlineData("""{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"total_tokens":3}}""", "Json")] // usage on a choice chunk stays
    public void AChunkOfUsageAloneIsRecognised(string json, string expected) =>
        Assert.Equal(expected, ChunkScanner.Scan(Encoding.UTF8.GetBytes(json), new DeltaToken[ChunkScanner.MaxTokens], out _).ToString());

    [Theory]
    [InlineData("[DONE]", "Done")]
    [InlineData(" [DONE] ", "Done")]
    [InlineData("{\"choices\":[", "Malformed")]
    [InlineData("not json", "Malformed")]
    [InlineData("[1,2]", "Malformed")]
    [InlineData("{} {}", "Malformed")]
    public void RecognisesDoneAndMalformedData(string data, string expected)
    {
        Assert.Equal(expected, ChunkScanner.Scan(Encoding.UTF8.GetBytes(data), new DeltaToken[ChunkScanner.MaxTokens], out _).ToString());
    }
}
