using System.Text;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Simulator;
using QwenFastProxy.TestCorpus;
using Xunit.Abstractions;

namespace QwenFastProxy.IntegrationTests.Streaming;

/// <summary>
/// The generated family of realistic streams (model-like tokenisation, the first K chunks cumulative)
/// through the real proxy: the simulator replays each stream over loopback, one proxy serves them all on
/// kept-alive connections, and the assembled text is compared with what the model wrote.
/// </summary>
public sealed class RealisticStreamsThroughProxyTests(ITestOutputHelper output)
{
    private const string StreamRequest = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"go"}]}""";

    [Fact]
    public Task EveryFamilyStreamAssemblesToTheModelsText() => AssembleEveryStreamAsync(payloads => payloads.ToList());

    /// <summary>The same streams from an upstream that escapes text (non-ASCII and backticks as <c>\uXXXX</c>).</summary>
    [Fact]
    public Task EveryFamilyStreamWithEscapedTextAssemblesToTheModelsText() => AssembleEveryStreamAsync(StutterCorpus.Escaped);

    private async Task AssembleEveryStreamAsync(Func<IReadOnlyList<string>, List<string>> encode)
    {
        await using var harness = await ProxyHarness.StartAsync(simulatorOptions: new SimulatorOptions());
        using var client = harness.CreateHttpClient();
        var unexpected = new List<string>();

        foreach (var variant in RealisticStreams.Variants)
        {
            var exact = 0;
            var members = RealisticStreams.All.Where(m => m.Variant == variant).ToList();
            foreach (var member in members)
            {
                harness.Simulator.Options.ScriptedStream = encode(member.Case.Payloads);
                using var response = await client.PostAsync("chat/completions", new StringContent(StreamRequest, Encoding.UTF8, "application/json"));
                var transcript = ClientTranscript.Read(await response.Content.ReadAsStringAsync());
                var actual = transcript.Text("0/content");
                var expected = member.Case.Expected["0/content"];
                if (actual == expected && transcript.SawDone && transcript.Errors.Count == 0)
                {
                    exact++;
                }
                else if (!(variant == "K=2" && member.OpensAmbiguously && actual == member.Deltas[0] + expected))
                {
                    unexpected.Add($"{member.Case.Name}: {actual}");
                }
            }
            output.WriteLine($"{variant}: {exact}/{members.Count} exact");
        }

        Assert.Empty(unexpected);
    }
}
