using System.Buffers;
using System.Text;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;

namespace QwenFastProxy.Tests.Observability;

public sealed class UsageFileTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 5, 12, 0, 1, 250, TimeSpan.Zero);

    [Fact]
    public void ARowIsOneCsvLineThatReadsBackAsItWas()
    {
        var entry = new UsageEntry(Noon, "key-0a1b2c3d", "qwen3-coder-plus", 200, false, new TokenUsage(1200, 340, 1024, 200));

        var line = Write(entry);

        Assert.Equal("2026-12-05T12:00:01.250Z,key-0a1b2c3d,qwen3-coder-plus,200,0,1200,340,1024,200\n", line);
        Assert.True(UsageFile.TryParseRow(line.TrimEnd('\n'), out var read));
        Assert.Equal(entry, read);
    }

    [Fact]
    public void UnknownUsageLeavesTheTokenFieldsEmpty()
    {
        var entry = new UsageEntry(Noon.ToOffset(TimeSpan.FromHours(8)), "anonymous", "-", 502, true, null);

        var line = Write(entry);

        Assert.Equal("2026-12-05T12:00:01.250Z,anonymous,-,502,1,,,,\n", line);
        Assert.True(UsageFile.TryParseRow(line.TrimEnd('\n'), out var read));
        Assert.Equal(entry with { Time = Noon }, read);
    }

    [Theory]
    [InlineData("time,key,model,status,error,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens")]
    [InlineData("2026-12-05T12:00:01.250Z,key-0a1b2c3d,qwen3-coder-plus,200,0,1200,3")]
    [InlineData("2026-12-05T12:00:01.250Z,key-0a1b2c3d,qwen3-coder-plus,200,2,1,1,1,1")]
    [InlineData("2026-12-05T12:00:01.250Z,,qwen3-coder-plus,200,0,1,1,1,1")]
    [InlineData("2026-12-05T12:00:01.250Z,k,m,200,0,1,,1,1")]
    [InlineData("yesterday,k,m,200,0,1,1,1,1")]
    [InlineData("2026-12-05T12:00:01.250Z,k,m,200,0,-1,1,1,1")]
    [InlineData("")]
    public void HeadersTornAndForeignLinesAreRefused(string line)
    {
        Assert.False(UsageFile.TryParseRow(line, out _));
    }

    private static string Write(UsageEntry entry)
    {
        var output = new ArrayBufferWriter<byte>();
        UsageFile.WriteRow(output, entry);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
