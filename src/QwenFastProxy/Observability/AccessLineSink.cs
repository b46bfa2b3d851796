using QwenFastProxy.Buffers;

namespace QwenFastProxy.Observability;

/// <summary>
/// Where access lines go: each is formatted as UTF-8 on the thread that finished the request and appended to a
/// batch; one background writer wakes once per batch (not per line), lets it gather for a moment and writes it in
/// one call. A request thread never waits for the output: past <see cref="MaxPendingBytes"/> lines are dropped,
/// and the next batch says how many.
/// </summary>
internal sealed class AccessLineSink : IDisposable
{
    /// <summary>About 16,000 lines, the bound ZLogger's queue has for the other log lines.</summary>
    internal const int MaxPendingBytes = 4 * 1024 * 1024;

    // Long enough that a busy proxy writes a few hundred lines per call, short enough to read the log live.
    private static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(50);

    // What a batch keeps between writes; a burst's larger buffer goes back to the pool.
    private const int KeepBetweenBatches = 64 * 1024;

    [ThreadStatic]
    private static PooledBytes? t_line;

    private readonly Stream _output;
    private readonly bool _json;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Task _writer;
    private PooledBytes _pending = new();
    private PooledBytes _writing = new();
    private bool _signalled;
    private long _dropped;
    private volatile bool _stopping;

    /// <summary>Starts the writer; <paramref name="output"/> may be shared with other writers if each call is atomic (a synchronized stream).</summary>
    public AccessLineSink(Stream output, bool json)
    {
        _output = output;
        _json = json;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Formats and queues one line.</summary>
    public void Append(in AccessEntry entry)
    {
        var line = t_line ??= new PooledBytes();
        line.Clear();
        AccessLineFormat.Write(line, _json, entry, DateTimeOffset.UtcNow);

        bool wake;
        lock (_gate)
        {
            if (_stopping || _pending.Length + line.Length > MaxPendingBytes)
            {
                _dropped++;
                return;
            }
            _pending.Append(line.Span);
            wake = !_signalled;
            _signalled = true;
        }
        if (wake)
        {
            _wake.Release();
        }
    }

    /// <summary>Writes what is queued and stops the writer.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        _wake.Release();
        _writer.Wait(TimeSpan.FromSeconds(5)); // the semaphore stays undisposed: a request finishing now may still release it
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            await _wake.WaitAsync().ConfigureAwait(false);
            if (!_stopping)
            {
                await Task.Delay(GatherTime).ConfigureAwait(false);
            }
            WriteBatch();
            if (_stopping)
            {
                WriteBatch(); // lines that raced with the stop
                return;
            }
        }
    }

    private void WriteBatch()
    {
        long dropped;
        lock (_gate)
        {
            (_pending, _writing) = (_writing, _pending);
            _signalled = false;
            dropped = _dropped;
            _dropped = 0;
        }
        if (dropped > 0)
        {
            AccessLineFormat.WriteDropped(_writing, _json, dropped, DateTimeOffset.UtcNow);
        }
        if (_writing.Length == 0)
        {
            return;
        }
        try
        {
            _output.Write(_writing.Span);
            _output.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
        {
            // Standard output closed or broken: the lines are lost, the proxy goes on.
        }
        finally
        {
            _writing.Reset(KeepBetweenBatches);
        }
    }
}
