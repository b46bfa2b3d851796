namespace QwenFastProxy.Observability;

/// <summary>
/// A lock-free histogram over fixed upper bounds (seconds): one counter per bucket, plus the sum in microseconds.
/// Recording is a short scan and two interlocked adds; nothing is allocated.
/// </summary>
public sealed class FixedHistogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts; // per bucket, not cumulative; the last one is +Inf
    private long _sumMicroseconds;

    /// <summary>Creates a histogram with the given ascending upper bounds (a +Inf bucket is added).</summary>
    public FixedHistogram(ReadOnlySpan<double> upperBounds)
    {
        for (var i = 1; i < upperBounds.Length; i++)
        {
            if (!(upperBounds[i] > upperBounds[i - 1]))
            {
                throw new ArgumentException("Bucket bounds must be strictly ascending.", nameof(upperBounds));
            }
        }
        _bounds = upperBounds.ToArray();
        _counts = new long[_bounds.Length + 1];
    }

    /// <summary>The finite upper bounds, ascending.</summary>
    public ReadOnlySpan<double> Bounds => _bounds;

    /// <summary>Records one observation of <paramref name="seconds"/> (negative values count as 0).</summary>
    public void Record(double seconds)
    {
        if (!(seconds >= 0))
        {
            seconds = 0;
        }
        var i = 0;
        while (i < _bounds.Length && seconds > _bounds[i])
        {
            i++;
        }
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1_000_000));
    }

    /// <summary>Observations less than or equal to bound number <paramref name="index"/> (index = bounds length: all).</summary>
    public long CumulativeCount(int index)
    {
        long total = 0;
        for (var i = 0; i <= index && i < _counts.Length; i++)
        {
            total += Interlocked.Read(ref _counts[i]);
        }
        return total;
    }

    /// <summary>Fills <paramref name="cumulative"/> (bounds length + 1) with cumulative counts read once each, so they never decrease along the row.</summary>
    public void CopyCumulative(Span<long> cumulative)
    {
        long total = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            total += Interlocked.Read(ref _counts[i]);
            cumulative[i] = total;
        }
    }

    /// <summary>All observations.</summary>
    public long Count => CumulativeCount(_counts.Length - 1);

    /// <summary>Sum of the observations, seconds (microsecond resolution).</summary>
    public double SumSeconds => Interlocked.Read(ref _sumMicroseconds) / 1_000_000.0;
}
