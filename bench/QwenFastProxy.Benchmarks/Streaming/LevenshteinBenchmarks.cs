using BenchmarkDotNet.Attributes;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Benchmarks.Streaming;

/// <summary>Levenshtein on the window sizes the detector uses (it compares at most 64 bytes).</summary>
[MemoryDiagnoser]
public class LevenshteinBenchmarks
{
    private byte[] _a = [];
    private byte[] _b = [];
    private byte[] _unrelated = [];

    [Params(16, 64, 256)]
    public int WindowBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _a = new byte[WindowBytes];
        random.NextBytes(_a);
        _b = (byte[])_a.Clone();
        // Two edits a third and a half of the way in: trimming the common prefix and suffix leaves the
        // middle sixth for the DP, the typical shape of a revised snapshot.
        _b[WindowBytes / 2] ^= 0x55;
        _b[WindowBytes / 3] ^= 0x55;
        _unrelated = new byte[WindowBytes];
        random.NextBytes(_unrelated);
    }

    [Benchmark]
    public int Distance() => Levenshtein.Distance(_a, _b);

    [Benchmark]
    public int DistanceOfUnrelatedWindows() => Levenshtein.Distance(_a, _unrelated);
}
