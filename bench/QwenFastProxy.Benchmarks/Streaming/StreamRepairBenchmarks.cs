using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Benchmarks.Streaming;

/// <summary>
/// The stutter repair per chunk: a whole 100-chunk stream per invocation (a reused repairer, as a pooled
/// one would be), reported per chunk. Genuine streams pass frames through unchanged; cumulative ones are
/// rewritten. The baseline copies the same frames to the output without looking at them.
/// </summary>
[MemoryDiagnoser]
public class StreamRepairBenchmarks
{
    private const int Chunks = 100;
    private ReadOnlySequence<byte>[] _genuine = [];
    private ReadOnlySequence<byte>[] _cumulative = [];
    private readonly ArrayBufferWriter<byte> _output = new(1 << 22);
    private StreamRepairer _repairer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _repairer = new StreamRepairer(new StreamRepairOptions(), TimeProvider.System);
        var words = Enumerable.Range(0, Chunks).Select(i => $" word{i % 17}").ToArray();
        _genuine = words.Select(w => Frame(w)).ToArray();
        var text = new StringBuilder();
        _cumulative = words.Select(w => Frame(text.Append(w).ToString())).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _repairer.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Chunks)]
    public int CopyOnly() => Run(_genuine, repair: false);

    [Benchmark(OperationsPerInvoke = Chunks)]
    public int GenuineStream() => Run(_genuine, repair: true);

    [Benchmark(OperationsPerInvoke = Chunks)]
    public int CumulativeStream() => Run(_cumulative, repair: true);

    private int Run(ReadOnlySequence<byte>[] frames, bool repair)
    {
        _output.ResetWrittenCount();
        _repairer.Reset();
        foreach (var frame in frames)
        {
            if (repair)
            {
                _repairer.Process(frame, _output);
            }
            else
            {
                foreach (var segment in frame)
                {
                    _output.Write(segment.Span);
                }
            }
        }
        return _output.WrittenCount;
    }

    private static ReadOnlySequence<byte> Frame(string content) =>
        new(Encoding.UTF8.GetBytes(
            "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1795731244,\"model\":\"qwen3-coder-plus\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
            + content + "\"},\"finish_reason\":null}]}\n\n"));
}
