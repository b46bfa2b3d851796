using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using QwenFastProxy.Http;

namespace QwenFastProxy.Benchmarks.Http;

/// <summary>
/// The HTTP/1.1 front end per request, driven the way <c>HttpConnection</c> drives it: reset the
/// connection's reusable request and parser, parse the head from the read buffer, then copy the
/// Content-Length body into the request's pooled body buffer. One typical chat request per invocation,
/// and a pipelined batch of 16 in one buffer (reported per request). The baseline of each group finds
/// the end of the same head with a plain <see cref="SequenceReader{T}"/> scan for CRLFCRLF and skips
/// the body, which is the least any HTTP/1.1 server must do with these bytes.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class RequestParserBenchmarks
{
    private const int Pipelined = 16;
    private static readonly byte[] EndOfHead = "\r\n\r\n"u8.ToArray();

    private readonly HttpLimits _limits = new();
    private ReadOnlySequence<byte> _one;
    private ReadOnlySequence<byte> _batch;
    private HttpRequest _request = null!;
    private Http1Parser _parser = null!;

    [GlobalSetup]
    public void Setup()
    {
        _one = new ReadOnlySequence<byte>(ChatRequestSample.Request);
        _batch = new ReadOnlySequence<byte>(Enumerable.Repeat(ChatRequestSample.Request, Pipelined).SelectMany(r => r).ToArray());
        _request = new HttpRequest(_limits.MaxRequestHeaderBytes);
        _parser = new Http1Parser(_limits.MaxRequestHeaderBytes, _limits.MaxRequestBodyBytes);
        // Fail here, not with a silently fast benchmark, if the sample stops being a valid request.
        var reader = new SequenceReader<byte>(_batch);
        for (var i = 0; i < Pipelined; i++)
        {
            if (!ParseOne(ref reader))
            {
                throw new InvalidOperationException($"Request {i} did not parse: {_parser.Error}");
            }
        }
        if (!reader.End || _request.Body.Length != ChatRequestSample.Body.Length)
        {
            throw new InvalidOperationException("The batch was not consumed exactly.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _request.Content.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory("One")]
    public long ScanOne()
    {
        var reader = new SequenceReader<byte>(_one);
        return ScanOne(ref reader) ? reader.Consumed : -1;
    }

    [Benchmark, BenchmarkCategory("One")]
    public long ParseOne()
    {
        var reader = new SequenceReader<byte>(_one);
        return ParseOne(ref reader) ? reader.Consumed : -1;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Pipelined), BenchmarkCategory("Pipelined16")]
    public long ScanPipelined()
    {
        var reader = new SequenceReader<byte>(_batch);
        while (ScanOne(ref reader))
        {
        }
        return reader.Consumed;
    }

    [Benchmark(OperationsPerInvoke = Pipelined), BenchmarkCategory("Pipelined16")]
    public long ParsePipelined()
    {
        var reader = new SequenceReader<byte>(_batch);
        while (!reader.End && ParseOne(ref reader))
        {
        }
        return reader.Consumed;
    }

    // The baseline knows the body length instead of reading Content-Length: it stands for the scan alone.
    private static bool ScanOne(ref SequenceReader<byte> reader)
    {
        if (!reader.TryReadTo(out ReadOnlySequence<byte> _, EndOfHead))
        {
            return false;
        }
        reader.Advance(ChatRequestSample.Body.Length);
        return true;
    }

    // HttpConnection.ReadRequestAsync / ReadHeadAsync / ReadBodyAsync without the pipe and the timers.
    private bool ParseOne(ref SequenceReader<byte> reader)
    {
        _request.Reset();
        _parser.Reset();
        if (_parser.ParseHead(ref reader, _request) != ParseStatus.Complete)
        {
            return false;
        }
        var remaining = _request.ContentLength;
        if (remaining > 0)
        {
            _request.Content.Reserve(remaining);
            var body = reader.UnreadSequence.Slice(0, remaining);
            _request.Content.Append(body);
            reader.Advance(remaining);
        }
        return true;
    }
}
