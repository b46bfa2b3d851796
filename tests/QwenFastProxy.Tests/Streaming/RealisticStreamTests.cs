using QwenFastProxy.TestCorpus;
using Xunit.Abstractions;

namespace QwenFastProxy.Tests.Streaming;

/// <summary>
/// The generated family of realistic streams (model-like tokenisation, Qwen's usual stutter of the first
/// K chunks): exact assembly per variant, at every arrival cadence of the corpus.
/// </summary>
public sealed class RealisticStreamTests(ITestOutputHelper output)
{
    [Fact]
    public void TheFamilyHoldsAtLeast200StreamsPerVariantOverVariedTexts()
    {
        foreach (var variant in RealisticStreams.Variants)
        {
            Assert.True(RealisticStreams.All.Count(s => s.Variant == variant) >= 200, variant);
        }
    }

    [Fact]
    public void TheStutterVariantsRepeatTheFirstChunksAndTheGenuineOnesDoNot()
    {
        var deltas = RealisticStreams.Chunks("The quick brown fox jumps over the lazy dog.", seed: 3);

        var stutter = RealisticStreams.Stutter(deltas, 2);

        Assert.Equal(deltas[0], stutter[0]);
        Assert.Equal(deltas[0] + deltas[1], stutter[1]);
        Assert.Equal(deltas.Skip(2), stutter.Skip(2));
        Assert.Equal("The quick brown fox jumps over the lazy dog.", string.Concat(deltas));
    }

    [Theory]
    [MemberData(nameof(Cadences))]
    public void GenuineStreamsStayExactAndStutteredOnesAreRepaired(string cadence)
    {
        var unexpected = new List<string>();
        foreach (var variant in RealisticStreams.Variants)
        {
            var members = RealisticStreams.All.Where(s => s.Variant == variant).ToList();
            var exact = 0;
            var open = 0;
            foreach (var member in members)
            {
                var (body, _) = StreamRepairHarness.Run(member.Case.Payloads, gapsMs: StreamRepairHarness.Cadences[cadence]);
                var actual = ClientTranscript.Read(body).Text("0/content");
                var expected = member.Case.Expected["0/content"];
                if (actual == expected)
                {
                    exact++;
                }
                else if (variant == "K=2" && member.OpensAmbiguously && actual == member.Deltas[0] + expected)
                {
                    open++; // an ambiguous opening (OpensAmbiguously) is kept as genuine, so its first delta shows twice
                }
                else
                {
                    unexpected.Add($"{member.Case.Name}: {Show(actual)}");
                }
            }
            output.WriteLine($"{cadence} {variant}: {exact}/{members.Count} exact ({100.0 * exact / members.Count:F1} %), {open} ambiguous openings kept as genuine");
        }
        foreach (var failure in unexpected)
        {
            output.WriteLine(failure);
        }
        Assert.Empty(unexpected);
    }

    [Theory]
    [MemberData(nameof(Cadences))]
    public void EscapedStreamsAreRepairedExactlyLikeTheSameTextSentAsIs(string cadence)
    {
        var gaps = StreamRepairHarness.Cadences[cadence];
        var differing = new List<string>();
        var escapes = 0;
        foreach (var member in RealisticStreams.All)
        {
            var escaped = StutterCorpus.Escaped(member.Case.Payloads);
            escapes += escaped.Count(p => p.Contains("\\u", StringComparison.Ordinal));
            var asIs = ClientTranscript.Read(StreamRepairHarness.Run(member.Case.Payloads, gapsMs: gaps).Output).Text("0/content");
            var fromEscaped = ClientTranscript.Read(StreamRepairHarness.Run(escaped, gapsMs: gaps).Output).Text("0/content");
            if (fromEscaped != asIs)
            {
                differing.Add($"{member.Case.Name}: {Show(fromEscaped)} instead of {Show(asIs)}");
            }
        }
        foreach (var difference in differing)
        {
            output.WriteLine(difference);
        }
        Assert.True(escapes > 1000, $"only {escapes} payloads carry an escape");
        Assert.Empty(differing);
    }

    [Fact]
    public void AClosingFenceEscapedAsUnicodeIsNotTakenForAReplayOfTheOpening()
    {
        // What .NET's default encoder sends for a code answer: every backtick as \u0060, so the closing "```" is
        // 18 raw bytes that equal the answer's first 18 bytes.
        string[] deltas = ["```", "js", "\n", "let", " x", " =", " 1", ";", "\n", "```"];
        var expected = "```js\nlet x = 1;\n```";

        var (body, _) = StreamRepairHarness.Run(StutterCorpus.Escaped(StutterCorpus.Stream("fence", deltas, expected).Payloads));

        Assert.Contains("\\u0060\\u0060\\u0060", body, StringComparison.Ordinal);
        Assert.Equal(expected, ClientTranscript.Read(body).Text("0/content"));
    }

    [Fact]
    public void TheIssuesExamplesOfTwoCumulativeChunksAreRepaired()
    {
        string[][] streams =
        [
            ["The", "The quick", " brown fox"],
            ["I'll", "I'll help you", " fix"],
            ["Yes,", "Yes, that", " is correct."],
        ];
        foreach (var chunks in streams)
        {
            var (body, _) = StreamRepairHarness.Run(StutterCorpus.Stream("k2", chunks, "").Payloads);

            Assert.Equal(chunks[1] + chunks[2], ClientTranscript.Read(body).Text("0/content"));
        }
    }

    public static TheoryData<string> Cadences() => new(StreamRepairHarness.Cadences.Keys);

    private static string Show(string text) => text.Length > 60 ? text[..60].Replace("\n", "\\n") + "…" : text.Replace("\n", "\\n");
}
