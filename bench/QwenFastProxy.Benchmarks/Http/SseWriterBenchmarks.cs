using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using QwenFastProxy.Http;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Benchmarks.Http;

/// <summary>
/// The response side of a stream, per SSE frame: one typical OpenAI chat chunk written into a chunked
/// (<c>Transfer-Encoding: chunked</c>) response through <see cref="BodyWriter"/> into a
/// <see cref="Pipe"/>, committed and flushed as <c>BodyRelay</c> does after each upstream read; then a
/// batch of 16 frames per flush (an upstream read that carried several), and the error frame that ends a
/// broken stream. After each flush the pipe's reader takes everything, so the pipe never grows; that
/// read is paid by the baselines too, which copy the same bytes into the same pipe unframed.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class SseWriterBenchmarks
{
    private const int Batch = 16;

    private static readonly byte[] Frame = Encoding.UTF8.GetBytes(
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1795731244,\"model\":\"qwen3-coder-plus\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" the next token\"},\"finish_reason\":null}]}\n\n");

    // A constant, as the proxy's own errors are (ProxyErrors): the message is not built per failure.
    private static readonly HttpError UpstreamTimeout = new(504, "Upstream did not answer in time.", "upstream_timeout");

    private Pipe _pipe = null!;
    private ResponseOutput _response = null!;

    [GlobalSetup]
    public void Setup()
    {
        // No back-pressure (the reader drains after every flush) and inline schedulers: flushes complete
        // synchronously, so the benchmark measures writing, not thread hops.
        _pipe = new Pipe(new PipeOptions(new BlockMemoryPool(), PipeScheduler.Inline, PipeScheduler.Inline,
            pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 4096, useSynchronizationContext: false));
        _response = new ResponseOutput(_pipe.Writer);
        _response.Reset(keepAlive: true, http10: false);
        var head = _response.BeginHead(200, contentLength: -1);
        head.Line("Content-Type: text/event-stream\r\n"u8);
        _response.EndHead(ref head);
        Drain();
        if (Chunked() != Frame.Length + ChunkedEncoding.PrefixLength + 2)
        {
            throw new InvalidOperationException("The frame was not written as one chunk.");
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("OneFramePerFlush")]
    public long CopyOne()
    {
        _pipe.Writer.Write(Frame);
        return Drain();
    }

    [Benchmark, BenchmarkCategory("OneFramePerFlush")]
    public long Chunked()
    {
        var body = _response.Body;
        body.Write(Frame);
        body.Commit();
        return Drain();
    }

    /// <summary>The stream's closing error frame and <c>data: [DONE]</c> (one chunk), against the one-frame copy.</summary>
    [Benchmark, BenchmarkCategory("OneFramePerFlush")]
    public long ErrorFrame()
    {
        var body = _response.Body;
        SseErrorFrame.Write(body, UpstreamTimeout, closeOpenFrame: false);
        body.Commit();
        return Drain();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch), BenchmarkCategory("SixteenFramesPerFlush")]
    public long CopyBatch()
    {
        for (var i = 0; i < Batch; i++)
        {
            _pipe.Writer.Write(Frame);
        }
        return Drain();
    }

    [Benchmark(OperationsPerInvoke = Batch), BenchmarkCategory("SixteenFramesPerFlush")]
    public long ChunkedBatch()
    {
        var body = _response.Body;
        for (var i = 0; i < Batch; i++)
        {
            body.Write(Frame);
        }
        body.Commit();
        return Drain();
    }

    // Flush (synchronous here) and let the reader consume all of it, as the socket would.
    private long Drain()
    {
        var flush = _pipe.Writer.FlushAsync();
        if (!flush.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("A flush without back-pressure should complete at once.");
        }
        if (!_pipe.Reader.TryRead(out var result))
        {
            return 0;
        }
        var length = result.Buffer.Length;
        _pipe.Reader.AdvanceTo(result.Buffer.End);
        return length;
    }
}
