namespace QwenFastProxy.Simulator;

/// <summary>Thread-safe, append-only record of the requests a <see cref="QwenSimulator"/> received.</summary>
public sealed class RequestLog
{
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _requests = [];
    // Waiters keyed by the index they wait for; completed outside the lock so continuations never run under it.
    private readonly List<(int Index, TaskCompletionSource<RecordedRequest> Source)> _waiters = [];

    /// <summary>Number of requests recorded since the start or the last <see cref="Clear"/>.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _requests.Count;
            }
        }
    }

    /// <summary>A copy of the requests recorded so far, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Snapshot()
    {
        lock (_gate)
        {
            return _requests.ToArray();
        }
    }

    /// <summary>Forgets the recorded requests; indexes passed to <see cref="WaitForRequestAsync"/> count from here.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    /// <summary>Completes when request number <paramref name="index"/> (0-based) has arrived.</summary>
    public Task<RecordedRequest> WaitForRequestAsync(int index, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        TaskCompletionSource<RecordedRequest> source;
        lock (_gate)
        {
            if (index < _requests.Count)
            {
                return Task.FromResult(_requests[index]);
            }

            source = new TaskCompletionSource<RecordedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((index, source));
        }

        if (!ct.CanBeCanceled)
        {
            return source.Task;
        }

        // Drop the waiter on cancellation so abandoned waits do not pile up in a long-running simulator.
        var registration = ct.Register(() =>
        {
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.Source == source);
            }

            source.TrySetCanceled(ct);
        });
        _ = source.Task.ContinueWith(static (_, state) => ((CancellationTokenRegistration)state!).Dispose(),
            registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return source.Task;
    }

    internal void Add(RecordedRequest request)
    {
        List<TaskCompletionSource<RecordedRequest>>? ready = null;
        lock (_gate)
        {
            _requests.Add(request);
            var index = _requests.Count - 1;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Index == index)
                {
                    (ready ??= []).Add(_waiters[i].Source);
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (ready is not null)
        {
            foreach (var source in ready)
            {
                source.TrySetResult(request);
            }
        }
    }
}
