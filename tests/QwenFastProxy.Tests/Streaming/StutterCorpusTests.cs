using System.Text;
using QwenFastProxy.TestCorpus;
using Xunit.Abstractions;

namespace QwenFastProxy.Tests.Streaming;

/// <summary>Every labelled stream assembles to exactly its expected text, with every other field and the frame order kept.</summary>
public sealed class StutterCorpusTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(NamesAndCadences))]
    public void AssemblesExactlyTheExpectedText(string name, string cadence)
    {
        var corpusCase = StutterCorpus.Get(name);

        var (body, _) = StreamRepairHarness.Run(corpusCase.Payloads, gapsMs: StreamRepairHarness.Cadences[cadence]);
        var transcript = ClientTranscript.Read(body);

        foreach (var (key, expected) in corpusCase.Expected)
        {
            Assert.Equal(expected, transcript.Text(key));
        }
        Assert.True(transcript.SawDone);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void KeepsEveryOtherFieldAndTheFrameOrder(string name)
    {
        var corpusCase = StutterCorpus.Get(name);

        var (body, _) = StreamRepairHarness.Run(corpusCase.Payloads);

        var sent = corpusCase.Payloads.Select(ClientTranscript.ShapeOf).ToList();
        var received = ClientTranscript.Payloads(body).Select(ClientTranscript.ShapeOf).ToList();
        Assert.Equal(sent, received);
    }

    [Fact]
    public void ReportsAccuracyOverTheWholeCorpus()
    {
        var exact = 0;
        long lost = 0, duplicated = 0, naiveExact = 0, rawExact = 0;
        foreach (var corpusCase in StutterCorpus.All)
        {
            var (body, _) = StreamRepairHarness.Run(corpusCase.Payloads);
            var transcript = ClientTranscript.Read(body);
            var allExact = true;
            foreach (var (key, expected) in corpusCase.Expected)
            {
                var actual = transcript.Text(key);
                allExact &= actual == expected;
                var difference = Encoding.UTF8.GetByteCount(actual) - Encoding.UTF8.GetByteCount(expected);
                lost += Math.Max(0, -difference);
                duplicated += Math.Max(0, difference);
            }
            exact += allExact ? 1 : 0;
            naiveExact += Baselines(corpusCase).Naive ? 1 : 0;
            rawExact += Baselines(corpusCase).Raw ? 1 : 0;
        }
        var total = StutterCorpus.All.Count;
        output.WriteLine($"stutter corpus: {total} streams; repair exact {exact}/{total}, bytes lost {lost}, bytes duplicated {duplicated}");
        output.WriteLine($"baselines: no repair exact {rawExact}/{total}; naive prefix rule (the original proxy's) exact {naiveExact}/{total}");
        Assert.True(total >= 60, $"the corpus must hold at least 60 streams, has {total}");
        Assert.Equal(total, exact);
        Assert.Equal(0, lost + duplicated);
    }

    public static TheoryData<string> Names() => StutterCorpus.Names();

    public static TheoryData<string, string> NamesAndCadences()
    {
        var data = new TheoryData<string, string>();
        foreach (var corpusCase in StutterCorpus.All)
        {
            foreach (var cadence in StreamRepairHarness.Cadences.Keys)
            {
                data.Add(corpusCase.Name, cadence);
            }
        }
        return data;
    }

    // What a client would get with no repair at all, and with the bare prefix rule.
    private static (bool Raw, bool Naive) Baselines(StutterCase corpusCase)
    {
        var raw = new Dictionary<string, StringBuilder>();
        var naive = new Dictionary<string, StringBuilder>();
        foreach (var payload in corpusCase.Payloads)
        {
            var single = ClientTranscript.Read($"data: {payload}\n\n");
            foreach (var key in single.Keys)
            {
                var text = single.Text(key);
                Get(raw, key).Append(text);
                var soFar = Get(naive, key);
                var delivered = soFar.ToString();
                if (delivered.Length > 0 && text.StartsWith(delivered, StringComparison.Ordinal))
                {
                    soFar.Append(text[delivered.Length..]);
                }
                else if (!(delivered.Length > 0 && delivered.StartsWith(text, StringComparison.Ordinal) && text.Length > 0))
                {
                    soFar.Append(text);
                }
            }
        }
        return (Matches(raw), Matches(naive));

        bool Matches(Dictionary<string, StringBuilder> texts) =>
            corpusCase.Expected.All(e => (texts.TryGetValue(e.Key, out var t) ? t.ToString() : "") == e.Value);

        static StringBuilder Get(Dictionary<string, StringBuilder> texts, string key) =>
            texts.TryGetValue(key, out var b) ? b : texts[key] = new StringBuilder();
    }
}
