using Microsoft.Extensions.Time.Testing;

namespace QwenFastProxy.TestCorpus;

/// <summary>
/// The tests' one fake clock: a <see cref="FakeTimeProvider"/> (time moves only when a test moves it) that also
/// tells a test when the code under test has armed a timer, so the test moves time once something is waiting on
/// it instead of sleeping and hoping. It adds two things <see cref="FakeTimeProvider"/> cannot do:
/// <list type="bullet">
/// <item>fast-forward: every timer fires as soon as it is armed, moving the clock by its due time, so a flow that
/// waits on timers (a device login's polling) runs to its end with no real waiting and sees exactly the time it
/// asked for;</item>
/// <item><see cref="FireEarly"/>: the last armed timer's callback runs before its due time, as a system timer on a
/// coarser clock than the timestamps sometimes does.</item>
/// </list>
/// </summary>
public sealed class TestClock : FakeTimeProvider
{
    // A wait for a timer that never comes fails after this instead of hanging the test run.
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly bool _fastForward;
    private readonly List<TimeSpan> _armings = [];
    private readonly HashSet<WatchedTimer> _pending = [];
    private readonly List<(Func<bool> IsDone, TaskCompletionSource Done)> _waiters = [];
    private WatchedTimer? _latest;

    /// <summary>A manual clock starting at <see cref="FakeTimeProvider"/>'s default time.</summary>
    public TestClock()
    {
    }

    /// <param name="start">The time the clock shows until it is moved.</param>
    /// <param name="fastForward">Fire every timer as soon as it is armed, moving the clock by its due time.</param>
    public TestClock(DateTimeOffset start, bool fastForward = false)
        : base(start)
    {
        _fastForward = fastForward;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new WatchedTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Completes once timers have been armed for <paramref name="dueTime"/> at least <paramref name="count"/> times in all.</summary>
    public Task WaitForArmAsync(TimeSpan dueTime, int count = 1) =>
        WhenAsync(() => _armings.Count(armed => armed == dueTime) >= count);

    /// <summary>Completes with the due time of the next timer armed after this call.</summary>
    public async Task<TimeSpan> NextArmAsync()
    {
        int index;
        lock (_gate)
        {
            index = _armings.Count;
        }
        await WhenAsync(() => _armings.Count > index);
        lock (_gate)
        {
            return _armings[index];
        }
    }

    /// <summary>Completes once a timer is armed and has not fired yet: code is waiting for the clock to move.</summary>
    public Task WaitForTimerAsync() => WhenAsync(() => _pending.Count > 0);

    /// <summary>
    /// Runs the callback of the timer armed last, now, whatever the clock says. The timer stays armed for its due
    /// time too, unless the callback re-arms it.
    /// </summary>
    public void FireEarly()
    {
        WatchedTimer? latest;
        lock (_gate)
        {
            latest = _latest;
        }
        (latest ?? throw new InvalidOperationException("No timer has been armed.")).Invoke();
    }

    private ITimer CreateInnerTimer(TimerCallback callback) =>
        base.CreateTimer(callback, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    private Task WhenAsync(Func<bool> isDone)
    {
        lock (_gate)
        {
            if (isDone())
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((isDone, done));
            return done.Task.WaitAsync(WaitLimit);
        }
    }

    /// <summary>Records an arming; <paramref name="stillPending"/> is false when the timer fired while being armed.</summary>
    private void OnArmed(WatchedTimer timer, TimeSpan dueTime, bool stillPending)
    {
        lock (_gate)
        {
            _pending.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }
            _armings.Add(dueTime);
            _latest = timer;
            if (stillPending)
            {
                _pending.Add(timer);
            }
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].IsDone())
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private void OnDone(WatchedTimer timer)
    {
        lock (_gate)
        {
            _pending.Remove(timer);
        }
    }

    /// <summary>A <see cref="FakeTimeProvider"/> timer whose armings and firings the clock sees.</summary>
    private sealed class WatchedTimer : ITimer
    {
        private readonly TestClock _clock;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private readonly ITimer _inner;
        private bool _periodic;
        private int _fired;

        public WatchedTimer(TestClock clock, TimerCallback callback, object? state)
        {
            _clock = clock;
            _callback = callback;
            _state = state;
            _inner = clock.CreateInnerTimer(_ => OnFired());
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _periodic = period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero;
            var firedBefore = Volatile.Read(ref _fired);
            if (!_inner.Change(dueTime, period))
            {
                return false;
            }
            _clock.OnArmed(this, dueTime, stillPending: Volatile.Read(ref _fired) == firedBefore);
            if (_clock._fastForward && dueTime != Timeout.InfiniteTimeSpan)
            {
                _clock.Advance(dueTime);
            }
            return true;
        }

        public void Invoke() => _callback(_state);

        public void Dispose()
        {
            _inner.Dispose();
            _clock.OnDone(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void OnFired()
        {
            Interlocked.Increment(ref _fired);
            if (!_periodic)
            {
                _clock.OnDone(this);
            }
            if (_clock._fastForward)
            {
                // Not on the thread arming the timer: that thread is inside the code under test (Task.Delay setting
                // itself up), which must not run its own continuation before it returns.
                ThreadPool.QueueUserWorkItem(_ => Invoke());
            }
            else
            {
                Invoke();
            }
        }
    }
}
