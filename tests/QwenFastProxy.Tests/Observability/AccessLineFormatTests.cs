using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using QwenFastProxy.Configuration;
using QwenFastProxy.Observability;

namespace QwenFastProxy.Tests.Observability;

/// <summary>The access line written by hand reads as the line ZLogger writes for the same fields, in both formats.</summary>
public sealed class AccessLineFormatTests
{
    private static readonly AccessEntry Entry = new(
        "203.0.113.7", "POST", "/v1/chat/completions", 200, 200, "qwen3-coder-plus", true, 1234, 56789, 4.77, 1510.25, 3, 42, "-",
        "agent \"quoted\" \\ naïve 1.0");

    [Fact]
    public void TheJsonLineHasZLoggersPropertiesAndValues()
    {
        using var mine = JsonDocument.Parse(Written(json: true, Entry));
        using var zlogger = JsonDocument.Parse(ZLoggerLine(LogFormat.Json, Entry));

        var expected = zlogger.RootElement.EnumerateObject().Where(p => p.Name != "Timestamp").ToList();
        var actual = mine.RootElement.EnumerateObject().Where(p => p.Name != "Timestamp").ToList();
        Assert.Equal(expected.Select(p => p.Name), actual.Select(p => p.Name));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Value.ValueKind, actual[i].Value.ValueKind);
            Assert.Equal(expected[i].Value.ToString(), actual[i].Value.ToString());
        }
        Assert.True(mine.RootElement.GetProperty("Timestamp").TryGetDateTimeOffset(out _));
    }

    [Fact]
    public void TheTextLineIsZLoggersAfterTheTimestamp()
    {
        var mine = Written(json: false, Entry);
        var zlogger = ZLoggerLine(LogFormat.Text, Entry);

        // "yyyy-MM-dd HH:mm:ss.fff " is 24 characters; the rest is the level and the message.
        Assert.Equal(zlogger[24..].TrimEnd('\n'), mine[24..].TrimEnd('\n'));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} INF 203\.0\.113\.7 POST ", mine);
        Assert.EndsWith("\n", mine);
        Assert.Single(mine.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ADroppedLinesWarningSaysHowMany(bool json)
    {
        var output = new ArrayBufferWriter<byte>();
        AccessLineFormat.WriteDropped(output, json, 17, DateTimeOffset.UtcNow);
        var line = Encoding.UTF8.GetString(output.WrittenSpan);

        Assert.Contains("17 access lines dropped", line);
        if (json)
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal("Warning", document.RootElement.GetProperty("LogLevel").GetString());
            Assert.Equal(17, document.RootElement.GetProperty("dropped").GetInt64());
        }
        else
        {
            Assert.Contains(" WRN 17 access lines dropped", line);
        }
    }

    private static string Written(bool json, AccessEntry entry)
    {
        var output = new ArrayBufferWriter<byte>();
        AccessLineFormat.Write(output, json, entry, DateTimeOffset.UtcNow);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>The line ZLogger writes under a plain factory (the fallback <see cref="AccessLog"/> uses outside the proxy's own).</summary>
    private static string ZLoggerLine(LogFormat format, AccessEntry e)
    {
        var sink = new MemoryStream();
        var factory = LoggingSetup.Create(debug: false, format, sink);
        var plain = ((ProxyLoggerFactory)factory).Inner;
        plain.CreateLogger(AccessLineFormat.Category).AccessLine(e.ClientIp, e.Method, e.Path, e.Status, e.UpstreamStatus, e.Model, e.Streaming,
            e.RequestBytes, e.ResponseBytes, e.TtfbMs, e.DurationMs, e.RepairedChunks, e.RemovedBytes, e.Error, e.UserAgent);
        factory.Dispose();
        return Encoding.UTF8.GetString(sink.ToArray());
    }
}
