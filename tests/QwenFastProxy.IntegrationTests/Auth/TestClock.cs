namespace QwenFastProxy.IntegrationTests.Auth;

/// <summary>
/// A clock shared by the simulated OAuth server and the proxy's token provider, so token lifetimes pass when a
/// test says so. Timers either fire when <see cref="Advance"/> reaches them (manual) or at once, moving the clock
/// by their due time (fast-forward: a device login's polling runs without real waiting).
/// </summary>
public sealed class TestClock(bool fastForward = false) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<Timer> _timers = [];
    private TaskCompletionSource _timerAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset _now = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    /// <summary>Moves the clock and fires the (manual) timers that came due, outside the lock.</summary>
    public void Advance(TimeSpan by)
    {
        List<Timer> due;
        lock (_gate)
        {
            _now += by;
            due = _timers.Where(t => t.Due <= _now).ToList();
            _timers.RemoveAll(due.Contains);
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    /// <summary>Completes once a manual timer is waiting (a poll loop is asleep), so advancing then wakes it.</summary>
    public Task WaitForTimerAsync()
    {
        lock (_gate)
        {
            return _timers.Count > 0 ? Task.CompletedTask : _timerAdded.Task;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(Timer timer, TimeSpan dueTime)
    {
        if (fastForward)
        {
            lock (_gate)
            {
                _now += dueTime;
            }

            timer.Fire();
            return;
        }

        TaskCompletionSource added;
        lock (_gate)
        {
            timer.Due = _now + dueTime;
            _timers.Add(timer);
            added = _timerAdded;
            _timerAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        added.TrySetResult();
    }

    private void Cancel(Timer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class Timer(TestClock clock, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public DateTimeOffset Due { get; set; }

        public void Fire()
        {
            if (!_disposed)
            {
                ThreadPool.QueueUserWorkItem(_ => callback(state));
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock.Cancel(this);
            if (_disposed || dueTime == Timeout.InfiniteTimeSpan)
            {
                return !_disposed;
            }

            clock.Schedule(this, dueTime);
            return true;
        }

        public void Dispose()
        {
            _disposed = true;
            clock.Cancel(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
