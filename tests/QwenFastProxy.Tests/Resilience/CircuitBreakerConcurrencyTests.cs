using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Tests.Resilience;

/// <summary>
/// Many threads on one <see cref="CircuitBreaker"/>. The clock is fake and frozen, so every outcome is decided
/// by the interleaving alone; a <see cref="Barrier"/> lines the threads up so they really do collide. Every loop
/// is bounded and every barrier wait has a timeout.
/// </summary>
public sealed class CircuitBreakerConcurrencyTests
{
    private static readonly TimeSpan Reset = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan BarrierBound = TimeSpan.FromSeconds(30);
    private static readonly int Threads = Math.Max(4, Environment.ProcessorCount * 2);

    [Fact]
    public void OfManyThreadsRacingForTheHalfOpenTrialExactlyOneGetsIt()
    {
        const int rounds = 200;
        var time = new FakeTimeProvider();
        var breaker = new CircuitBreaker(1, Reset, time);
        Assert.True(breaker.TryAcquire(out var first));
        breaker.RecordFailure(first);
        var admitted = new int[rounds];
        var trials = new CircuitLease[rounds];

        // Each round: the coordinator (participant 0) moves the clock past the reset time, everyone races for the
        // trial, then the coordinator fails the winner's trial so that the next round starts from Open again.
        RunTogether(Threads, rounds, (participant, round, barrier) =>
        {
            if (participant == 0)
            {
                time.Advance(Reset);
            }
            Await(barrier);
            if (breaker.TryAcquire(out var lease))
            {
                Interlocked.Increment(ref admitted[round]);
                Assert.True(lease.IsTrial);
                trials[round] = lease;
            }
            Await(barrier);
            if (participant == 0)
            {
                Assert.Equal(CircuitState.HalfOpen, breaker.State);
                breaker.RecordFailure(trials[round]);
                Assert.Equal(CircuitState.Open, breaker.State);
            }
        });

        Assert.All(admitted, count => Assert.Equal(1, count));
    }

    [Fact]
    public void ConcurrentFailuresAreAllCounted()
    {
        const int perThread = 20_000;
        var breaker = new CircuitBreaker(CircuitBreaker.MaxFailureThreshold, Reset, new FakeTimeProvider());

        RunTogether(Threads, 1, (_, _, barrier) =>
        {
            Assert.True(breaker.TryAcquire(out var lease));
            Await(barrier);
            for (var i = 0; i < perThread; i++)
            {
                breaker.RecordFailure(lease);
            }
        });

        Assert.Equal(Threads * perThread, breaker.ConsecutiveFailures);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void ConcurrentFailuresPastTheThresholdOpenTheCircuitExactlyOnce()
    {
        const int perThread = 5_000;
        var breaker = new CircuitBreaker(Threads * perThread / 2, Reset, new FakeTimeProvider());
        var opened = 0;
        breaker.StateChanged += change =>
        {
            if (change.To == CircuitState.Open)
            {
                Interlocked.Increment(ref opened);
            }
        };

        RunTogether(Threads, 1, (_, _, barrier) =>
        {
            Await(barrier);
            for (var i = 0; i < perThread; i++)
            {
                // A refusal is expected once the circuit is open; a granted lease always reports its failure.
                if (breaker.TryAcquire(out var lease))
                {
                    breaker.RecordFailure(lease);
                }
            }
        });

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.Equal(1, opened);
    }

    [Fact]
    public void SuccessesRacingWithFailuresNeverLoseAFailureThatCameAfterTheLastSuccess()
    {
        // Half of the threads only fail, the others only succeed, all with closed leases. Whatever the
        // interleaving, the final count is the number of failures recorded after the last clearing success,
        // which is at most the total; and once the succeeding threads stop, the failing ones' work is all counted.
        const int perThread = 10_000;
        var breaker = new CircuitBreaker(CircuitBreaker.MaxFailureThreshold, Reset, new FakeTimeProvider());
        var failers = Threads / 2;

        RunTogether(Threads, 1, (participant, _, barrier) =>
        {
            Assert.True(breaker.TryAcquire(out var lease));
            Await(barrier);
            for (var i = 0; i < perThread; i++)
            {
                if (participant < failers)
                {
                    breaker.RecordFailure(lease);
                }
                else
                {
                    breaker.RecordSuccess(lease);
                }
            }
        });
        Assert.InRange(breaker.ConsecutiveFailures, 0, failers * perThread);

        RunTogether(failers, 1, (_, _, barrier) =>
        {
            Assert.True(breaker.TryAcquire(out var lease));
            Await(barrier);
            for (var i = 0; i < perThread; i++)
            {
                breaker.RecordFailure(lease);
            }
        });
        Assert.InRange(breaker.ConsecutiveFailures, failers * perThread, 2 * failers * perThread);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void ATrialVerdictRacingWithLateVerdictsOfOldLeasesDecidesAlone()
    {
        const int rounds = 100;
        var time = new FakeTimeProvider();
        var breaker = new CircuitBreaker(1, Reset, time);

        for (var round = 0; round < rounds; round++)
        {
            // Old leases from the closed period, then the circuit opens and a trial is admitted.
            var stale = new CircuitLease[Threads];
            for (var i = 0; i < Threads; i++)
            {
                Assert.True(breaker.TryAcquire(out stale[i]));
            }
            breaker.RecordFailure(stale[0]);
            time.Advance(Reset);
            Assert.True(breaker.TryAcquire(out var trial));
            var closeIt = round % 2 == 0;

            RunTogether(Threads, 1, (participant, _, barrier) =>
            {
                Await(barrier);
                if (participant == 0)
                {
                    breaker.Record(trial, closeIt ? CircuitOutcome.Success : CircuitOutcome.Failure);
                }
                else
                {
                    // The opposite verdict, from leases that no longer count.
                    breaker.Record(stale[participant], closeIt ? CircuitOutcome.Failure : CircuitOutcome.Success);
                }
            });

            Assert.Equal(closeIt ? CircuitState.Closed : CircuitState.Open, breaker.State);
            Assert.Equal(0, breaker.ConsecutiveFailures);
            if (!closeIt)
            {
                time.Advance(Reset);
                Assert.True(breaker.TryAcquire(out var next));
                breaker.RecordSuccess(next);
            }
        }
    }

    // Runs `body(participant, round, barrier)` on `participants` dedicated threads for `rounds` rounds, with a
    // barrier (all participants) before each round. Exceptions from any thread fail the test.
    private static void RunTogether(int participants, int rounds, Action<int, int, Barrier> body)
    {
        using var barrier = new Barrier(participants);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, participants).Select(participant => new Thread(() =>
        {
            try
            {
                for (var round = 0; round < rounds; round++)
                {
                    Await(barrier);
                    body(participant, round, barrier);
                }
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
                barrier.RemoveParticipant(); // let the others finish instead of waiting for the timeout
            }
        })
        { IsBackground = true }).ToList();

        threads.ForEach(t => t.Start());
        foreach (var thread in threads)
        {
            Assert.True(thread.Join(BarrierBound * 2), "a hammering thread did not finish");
        }
        Assert.Empty(errors);
    }

    private static void Await(Barrier barrier) =>
        Assert.True(barrier.SignalAndWait(BarrierBound), "the other threads did not reach the barrier");
}
