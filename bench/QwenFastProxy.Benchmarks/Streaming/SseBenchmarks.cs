using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Benchmarks.Streaming;

/// <summary>Framing and scanning of one typical chunk.</summary>
[MemoryDiagnoser]
public class SseBenchmarks
{
    private static readonly byte[] Frame = Encoding.UTF8.GetBytes(
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1795731244,\"model\":\"qwen3-coder-plus\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" the next token\"},\"finish_reason\":null}]}\n\n");
    private static readonly byte[] Json = Frame[6..^2];
    private readonly DeltaToken[] _tokens = new DeltaToken[ChunkScanner.MaxTokens];

    [Benchmark]
    public bool SplitFrame()
    {
        var buffer = new ReadOnlySequence<byte>(Frame);
        return SseFrameParser.TryReadFrame(ref buffer, isFinal: false, out _);
    }

    [Benchmark]
    public int ScanChunk() => ChunkScanner.Scan(Json, _tokens, out var count) == ChunkKind.Json ? count : -1;
}
