using System.Text;
using BenchmarkDotNet.Attributes;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Benchmarks;

/// <summary>Classifying typical failures: a 429 body scanned with Utf8JsonReader, and a transport exception.</summary>
[MemoryDiagnoser]
public class UpstreamFailureClassifierBenchmarks
{
    private readonly byte[] _rateLimited = Encoding.UTF8.GetBytes(
        """{"error":{"message":"Requests rate limit exceeded, please try again later.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"},"request_id":"00000000-0000-4000-8000-000000000001"}""");

    private readonly byte[] _quota = Encoding.UTF8.GetBytes(
        """{"error":{"code":"insufficient_quota","message":"Free allocated quota exceeded.","param":null,"type":"insufficient_quota"},"request_id":"00000000-0000-4000-8000-000000000002"}""");

    private readonly HttpRequestException _reset = new(HttpRequestError.ResponseEnded, "The response ended prematurely.");

    /// <summary>The typical throttling answer: the whole body is read (no quota marker to stop at).</summary>
    [Benchmark(Baseline = true)]
    public UpstreamOutcome RateLimited429() => UpstreamFailureClassifier.Classify(429, _rateLimited);

    /// <summary>Quota exhausted: the scan stops at the code, the first member.</summary>
    [Benchmark]
    public UpstreamOutcome Quota429() => UpstreamFailureClassifier.Classify(429, _quota);

    /// <summary>A status that needs no body.</summary>
    [Benchmark]
    public UpstreamOutcome ServiceUnavailable503() => UpstreamFailureClassifier.Classify(503, default);

    /// <summary>A connection that ended before the response head.</summary>
    [Benchmark]
    public UpstreamOutcome ResetException() =>
        UpstreamFailureClassifier.Classify(_reset, false, CancellationToken.None, CancellationToken.None);
}
