using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Tests.Resilience;

/// <summary>Every transition of <see cref="CircuitBreaker"/>, on a fake clock that moves only when the test moves it.</summary>
public sealed class CircuitBreakerTests
{
    private static readonly TimeSpan Reset = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly List<CircuitStateChange> _changes = [];

    private CircuitBreaker Create(int threshold = 3, TimeSpan? reset = null)
    {
        var breaker = new CircuitBreaker(threshold, reset ?? Reset, _time);
        breaker.StateChanged += _changes.Add;
        return breaker;
    }

    [Fact]
    public void StartsClosedAndLetsRequestsThrough()
    {
        var breaker = Create();

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(0, breaker.ConsecutiveFailures);
        Assert.Equal(TimeSpan.Zero, breaker.RetryAfter);
        Assert.True(breaker.TryAcquire(out var lease));
        Assert.False(lease.IsTrial);
        Assert.Equal(3, breaker.FailureThreshold);
        Assert.Equal(Reset, breaker.ResetTimeout);
    }

    [Fact]
    public void FailuresBelowTheThresholdAreCountedAndASuccessClearsThem()
    {
        var breaker = Create(threshold: 3);

        Fail(breaker);
        Fail(breaker);
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(2, breaker.ConsecutiveFailures);

        Succeed(breaker);
        Assert.Equal(0, breaker.ConsecutiveFailures);

        Fail(breaker);
        Fail(breaker);
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Empty(_changes);
    }

    [Fact]
    public void TheThresholdthFailureOpensTheCircuit()
    {
        var breaker = Create(threshold: 3);

        Fail(breaker);
        Fail(breaker);
        Fail(breaker);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(0, breaker.ConsecutiveFailures);
        Assert.Equal([new CircuitStateChange(CircuitState.Closed, CircuitState.Open)], _changes);
    }

    [Fact]
    public void AThresholdOfOneOpensAtTheFirstFailure()
    {
        var breaker = Create(threshold: 1);

        Fail(breaker);

        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void OpenRefusesWithoutALeaseUntilTheResetTimeHasPassed()
    {
        var breaker = Create(threshold: 1);
        Fail(breaker);

        Assert.False(breaker.TryAcquire(out var refused));
        Assert.Equal(default, refused);
        Assert.Equal(Reset, breaker.RetryAfter);

        _time.Advance(Reset - TimeSpan.FromMilliseconds(1));
        Assert.False(breaker.TryAcquire(out _));
        Assert.Equal(TimeSpan.FromMilliseconds(1), breaker.RetryAfter);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void AfterTheResetTimeExactlyOneTrialIsLetThrough()
    {
        var breaker = Create(threshold: 1);
        Fail(breaker);
        _time.Advance(Reset);

        Assert.True(breaker.TryAcquire(out var trial));
        Assert.True(trial.IsTrial);
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.False(breaker.TryAcquire(out _));
        Assert.False(breaker.TryAcquire(out _));
        Assert.Equal(new CircuitStateChange(CircuitState.Open, CircuitState.HalfOpen), _changes[^1]);
    }

    [Fact]
    public void ASuccessfulTrialClosesTheCircuit()
    {
        var breaker = Create(threshold: 1);
        Fail(breaker);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var trial));

        breaker.RecordSuccess(trial);

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(TimeSpan.Zero, breaker.RetryAfter);
        Assert.True(breaker.TryAcquire(out var next));
        Assert.False(next.IsTrial);
        Assert.Equal(
            [
                new CircuitStateChange(CircuitState.Closed, CircuitState.Open),
                new CircuitStateChange(CircuitState.Open, CircuitState.HalfOpen),
                new CircuitStateChange(CircuitState.HalfOpen, CircuitState.Closed),
            ],
            _changes);
    }

    [Fact]
    public void AFailedTrialOpensTheCircuitForAnotherFullResetTime()
    {
        var breaker = Create(threshold: 1);
        Fail(breaker);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var trial));
        _time.Advance(TimeSpan.FromSeconds(2)); // the trial took a while

        breaker.RecordFailure(trial);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(Reset, breaker.RetryAfter);
        Assert.False(breaker.TryAcquire(out _));
        Assert.Equal(new CircuitStateChange(CircuitState.HalfOpen, CircuitState.Open), _changes[^1]);

        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var second));
        Assert.True(second.IsTrial);
    }

    [Fact]
    public void WhileATrialRunsRetryAfterIsTheTimeUntilALostTrialWouldBeReplaced()
    {
        var breaker = Create(threshold: 1);
        Fail(breaker);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out _));

        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(Reset - TimeSpan.FromSeconds(10), breaker.RetryAfter);
    }

    [Fact]
    public void ALostTrialIsReplacedAfterAnotherResetTimeAndItsLateVerdictIsIgnored()
    {
        var breaker = Create(threshold: 1);
        Fail(breaker);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var lost));

        _time.Advance(Reset - TimeSpan.FromMilliseconds(1));
        Assert.False(breaker.TryAcquire(out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(breaker.TryAcquire(out var replacement));
        Assert.True(replacement.IsTrial);
        Assert.NotEqual(lost, replacement);

        breaker.RecordSuccess(lost);
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        breaker.RecordFailure(lost);
        Assert.Equal(CircuitState.HalfOpen, breaker.State);

        breaker.RecordSuccess(replacement);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void AnAbandonedTrialFreesTheSeatForTheNextRequestAtOnce()
    {
        var breaker = Create(threshold: 1);
        Fail(breaker);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var abandoned));
        var changes = _changes.Count;

        breaker.Abandon(abandoned);

        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.Equal(TimeSpan.Zero, breaker.RetryAfter);
        Assert.True(breaker.TryAcquire(out var next));
        Assert.True(next.IsTrial);
        Assert.False(breaker.TryAcquire(out _));
        Assert.Equal(changes, _changes.Count); // still half-open throughout: nothing to report

        breaker.RecordSuccess(abandoned); // too late, and for a trial that no longer exists
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        breaker.RecordFailure(next);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void AbandoningAClosedLeaseChangesNothing()
    {
        var breaker = Create(threshold: 3);
        Fail(breaker);
        Assert.True(breaker.TryAcquire(out var lease));

        breaker.Abandon(lease);

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(1, breaker.ConsecutiveFailures);
    }

    [Fact]
    public void VerdictsOfAttemptsStartedBeforeTheCircuitOpenedAreIgnored()
    {
        var breaker = Create(threshold: 2);
        Assert.True(breaker.TryAcquire(out var slowSuccess));
        Assert.True(breaker.TryAcquire(out var slowFailure));
        Fail(breaker);
        Fail(breaker);
        Assert.Equal(CircuitState.Open, breaker.State);

        breaker.RecordSuccess(slowSuccess);
        breaker.RecordFailure(slowFailure);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(Reset, breaker.RetryAfter); // not re-opened, so not pushed back either
        Assert.Single(_changes);
    }

    [Fact]
    public void ALeaseFromAnEarlierClosedPeriodDoesNotCountInTheNextOne()
    {
        var breaker = Create(threshold: 2);
        Assert.True(breaker.TryAcquire(out var stale));
        Fail(breaker);
        Fail(breaker);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var trial));
        breaker.RecordSuccess(trial);
        Assert.Equal(CircuitState.Closed, breaker.State);

        breaker.RecordFailure(stale);
        breaker.RecordFailure(stale);

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(0, breaker.ConsecutiveFailures);
    }

    [Fact]
    public void ATrialThatClosesInTheSameMillisecondItStartedStillStartsANewGeneration()
    {
        var breaker = Create(threshold: 1);
        Assert.True(breaker.TryAcquire(out var beforeOpening));
        breaker.RecordFailure(beforeOpening);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var trial));

        breaker.RecordSuccess(trial); // no time passed since the trial started
        Assert.True(breaker.TryAcquire(out var fresh));

        Assert.NotEqual(trial, fresh);
        breaker.RecordFailure(trial);
        Assert.Equal(CircuitState.Closed, breaker.State);
        breaker.RecordFailure(fresh);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void TheDefaultLeaseNeverMovesTheBreaker()
    {
        var breaker = Create(threshold: 1);

        breaker.RecordFailure(default);
        breaker.RecordSuccess(default);
        breaker.Abandon(default);

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(0, breaker.ConsecutiveFailures);
    }

    [Theory]
    [InlineData(CircuitOutcome.Success, CircuitState.Closed)]
    [InlineData(CircuitOutcome.Failure, CircuitState.Open)]
    [InlineData(CircuitOutcome.Abandoned, CircuitState.HalfOpen)]
    public void RecordDispatchesOnTheOutcome(CircuitOutcome outcome, CircuitState expected)
    {
        var breaker = Create(threshold: 1);
        Fail(breaker);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var trial));

        breaker.Record(trial, outcome);

        Assert.Equal(expected, breaker.State);
    }

    [Fact]
    public void AFullCycleReportsEveryChangeInOrder()
    {
        var breaker = Create(threshold: 2);
        Fail(breaker);
        Fail(breaker);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var first));
        breaker.RecordFailure(first);
        _time.Advance(Reset);
        Assert.True(breaker.TryAcquire(out var second));
        breaker.RecordSuccess(second);

        Assert.Equal(
            [
                new CircuitStateChange(CircuitState.Closed, CircuitState.Open),
                new CircuitStateChange(CircuitState.Open, CircuitState.HalfOpen),
                new CircuitStateChange(CircuitState.HalfOpen, CircuitState.Open),
                new CircuitStateChange(CircuitState.Open, CircuitState.HalfOpen),
                new CircuitStateChange(CircuitState.HalfOpen, CircuitState.Closed),
            ],
            _changes);
    }

    [Fact]
    public void TheBreakerWorksWithTheSystemClock()
    {
        var breaker = new CircuitBreaker(1, TimeSpan.FromDays(1));
        Assert.True(breaker.TryAcquire(out var lease));

        breaker.RecordFailure(lease);

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryAcquire(out _));
        Assert.InRange(breaker.RetryAfter, TimeSpan.FromHours(23), TimeSpan.FromDays(1));
    }

    [Fact]
    public void ArgumentsOutsideTheirRangesAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitBreaker(0, Reset, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitBreaker(CircuitBreaker.MaxFailureThreshold + 1, Reset, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitBreaker(1, TimeSpan.Zero, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitBreaker(1, CircuitBreaker.MaxResetTimeout + TimeSpan.FromDays(1), _time));
        _ = new CircuitBreaker(CircuitBreaker.MaxFailureThreshold, TimeSpan.FromMilliseconds(1), _time);
    }

    [Fact]
    public void TheLargestThresholdCountsUpToItWithoutSpillingIntoOtherFields()
    {
        var breaker = Create(threshold: CircuitBreaker.MaxFailureThreshold);
        Assert.True(breaker.TryAcquire(out var lease));

        for (var i = 1; i < CircuitBreaker.MaxFailureThreshold; i++)
        {
            breaker.RecordFailure(lease);
        }

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.Equal(CircuitBreaker.MaxFailureThreshold - 1, breaker.ConsecutiveFailures);
        breaker.RecordFailure(lease);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void AcquiringAndRecordingAllocateNothing()
    {
        var breaker = Create(threshold: 1_000);
        var open = Create(threshold: 1);
        Fail(open);
        // Warm up so that first-call work (JIT, statics) is not counted.
        Succeed(breaker);
        Fail(breaker);
        open.TryAcquire(out _);
        _ = open.RetryAfter;

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            Succeed(breaker);
            open.TryAcquire(out _);
            _ = open.RetryAfter;
        }
        Fail(breaker);
        Succeed(breaker);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void Fail(CircuitBreaker breaker)
    {
        Assert.True(breaker.TryAcquire(out var lease));
        breaker.RecordFailure(lease);
    }

    private static void Succeed(CircuitBreaker breaker)
    {
        Assert.True(breaker.TryAcquire(out var lease));
        breaker.RecordSuccess(lease);
    }
}
