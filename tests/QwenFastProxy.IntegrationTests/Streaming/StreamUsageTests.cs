using System.Text;
using System.Text.Json;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.IntegrationTests.Streaming;

/// <summary>
/// The proxy asks for a stream's token counts (<c>stream_options.include_usage</c>) when the client did not, and
/// takes the usage chunk out again, so the client gets exactly the stream it asked for.
/// </summary>
public sealed class StreamUsageTests
{
    private const string Plain = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"go"}]}""";
    private const string WithUsage = """{"model":"qwen3-coder-plus","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"go"}]}""";

    [Theory]
    [InlineData(true, Plain, true, false)] // asked for by the proxy, taken out
    [InlineData(true, WithUsage, true, true)] // the client's own request: kept
    [InlineData(false, Plain, false, false)] // STUTTER_FILTER=off cannot take it out, so it is not asked for
    public async Task UsageReachesTheClientOnlyWhenItAskedForIt(bool stutterFilter, string request, bool upstreamAsked, bool clientSees)
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { StutterFilter = stutterFilter });
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", new StringContent(request, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        using var sent = JsonDocument.Parse(Assert.Single(harness.Simulator.Requests.Snapshot()).Body);
        Assert.Equal(upstreamAsked, sent.RootElement.TryGetProperty("stream_options", out var options) && options.GetProperty("include_usage").GetBoolean());
        Assert.Equal(clientSees, body.Contains("\"usage\"", StringComparison.Ordinal));
        var transcript = ClientTranscript.Read(body);
        Assert.True(transcript.SawDone);
        Assert.Equal(QwenFastProxy.Simulator.SimulatorOptions.DefaultResponseText, transcript.Text("0/content"));
    }
}
