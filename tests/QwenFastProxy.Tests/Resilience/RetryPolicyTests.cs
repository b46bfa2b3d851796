using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Tests.Resilience;

public sealed class RetryPolicyTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Plenty = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    [InlineData(3, 800)]
    [InlineData(4, 1000)]
    [InlineData(5, 1000)]
    [InlineData(62, 1000)]
    [InlineData(int.MaxValue, 1000)]
    public void TheCeilingDoublesUpToTheCap(int retry, int milliseconds)
    {
        var policy = new RetryPolicy(3, Base, Cap);

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), policy.Ceiling(retry));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.5, 200)]
    [InlineData(0.25, 100)]
    public void TheDelayIsTheDrawnShareOfTheCeiling(double draw, int milliseconds)
    {
        var policy = new RetryPolicy(3, Base, Cap, () => draw);

        Assert.True(policy.TryGetDelay(2, TimeSpan.Zero, Plenty, out var delay));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), delay);
    }

    [Fact]
    public void TheLargestDrawStaysBelowTheCeiling()
    {
        var policy = new RetryPolicy(10, Base, Cap, () => Math.BitDecrement(1.0));

        for (var retry = 0; retry < 10; retry++)
        {
            Assert.True(policy.TryGetDelay(retry, TimeSpan.Zero, Plenty, out var delay));
            Assert.True(delay < policy.Ceiling(retry));
            Assert.True(delay >= policy.Ceiling(retry) - TimeSpan.FromTicks(1));
        }
    }

    [Fact]
    public void DrawsOutsideTheUnitIntervalAreClamped()
    {
        Assert.True(new RetryPolicy(1, Base, Cap, () => -3).TryGetDelay(0, TimeSpan.Zero, Plenty, out var low));
        Assert.True(new RetryPolicy(1, Base, Cap, () => 7).TryGetDelay(0, TimeSpan.Zero, Plenty, out var high));

        Assert.Equal(TimeSpan.Zero, low);
        Assert.Equal(Base, high);
    }

    [Fact]
    public void WithTheSharedRandomSourceEveryDelayIsWithinItsBounds()
    {
        var policy = new RetryPolicy(5, Base, Cap);
        for (var i = 0; i < 10_000; i++)
        {
            var retry = i % 5;
            Assert.True(policy.TryGetDelay(retry, TimeSpan.Zero, Plenty, out var delay));
            Assert.InRange(delay, TimeSpan.Zero, policy.Ceiling(retry));
        }
    }

    [Fact]
    public void NoMoreThanMaxRetries()
    {
        var policy = new RetryPolicy(3, Base, Cap, () => 0.5);

        Assert.True(policy.TryGetDelay(0, TimeSpan.Zero, Plenty, out _));
        Assert.True(policy.TryGetDelay(2, TimeSpan.Zero, Plenty, out _));
        Assert.False(policy.TryGetDelay(3, TimeSpan.Zero, Plenty, out var none));
        Assert.False(policy.TryGetDelay(4, TimeSpan.Zero, Plenty, out _));
        Assert.Equal(TimeSpan.Zero, none);
    }

    [Fact]
    public void ZeroRetriesNeverRetries()
    {
        Assert.False(new RetryPolicy(0).TryGetDelay(0, TimeSpan.Zero, Plenty, out _));
    }

    [Fact]
    public void RetryAfterIsAFloorEvenAboveTheCap()
    {
        var policy = new RetryPolicy(3, Base, Cap, () => 0.0);

        Assert.True(policy.TryGetDelay(0, TimeSpan.FromSeconds(3), Plenty, out var delay));

        Assert.Equal(TimeSpan.FromSeconds(3), delay);
    }

    [Fact]
    public void ABackoffLongerThanRetryAfterWins()
    {
        var policy = new RetryPolicy(5, Base, Cap, () => 0.5);

        Assert.True(policy.TryGetDelay(4, TimeSpan.FromMilliseconds(100), Plenty, out var delay));

        Assert.Equal(TimeSpan.FromMilliseconds(500), delay);
    }

    [Fact]
    public void NoRetryIsScheduledAtOrPastTheDeadline()
    {
        var policy = new RetryPolicy(3, Base, Cap, () => 0.5);

        Assert.True(policy.TryGetDelay(1, TimeSpan.Zero, TimeSpan.FromMilliseconds(101), out var fits));
        Assert.Equal(TimeSpan.FromMilliseconds(100), fits);
        Assert.False(policy.TryGetDelay(1, TimeSpan.Zero, TimeSpan.FromMilliseconds(100), out _));
        Assert.False(policy.TryGetDelay(0, TimeSpan.Zero, TimeSpan.Zero, out _));
        Assert.False(policy.TryGetDelay(0, TimeSpan.Zero, TimeSpan.FromSeconds(-1), out _));
    }

    [Fact]
    public void ARetryAfterBeyondTheDeadlineMeansNoRetry()
    {
        var policy = new RetryPolicy(3, Base, Cap, () => 0.0);

        Assert.False(policy.TryGetDelay(0, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30), out _));
    }

    [Fact]
    public void DefaultsAreAQuarterSecondAndTenSeconds()
    {
        var policy = new RetryPolicy(3);

        Assert.Equal(RetryPolicy.DefaultBaseDelay, policy.BaseDelay);
        Assert.Equal(RetryPolicy.DefaultMaxDelay, policy.MaxDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(250), policy.Ceiling(0));
        Assert.Equal(TimeSpan.FromSeconds(10), policy.Ceiling(10));
        Assert.Equal(3, policy.MaxRetries);
    }

    [Fact]
    public void ArgumentsOutsideTheirRangesAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(1, TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(1, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(1).Ceiling(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(1).TryGetDelay(-1, TimeSpan.Zero, Plenty, out _));
    }

    [Fact]
    public async Task WaitEndsWhenTheClockHasMovedByTheDelay()
    {
        var time = new FakeTimeProvider();
        var wait = RetryPolicy.WaitAsync(TimeSpan.FromSeconds(2), time, CancellationToken.None).AsTask();

        time.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromTicks(1));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));

        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task CancellationEndsTheWaitWithFalseAndNoException()
    {
        var time = new FakeTimeProvider();
        using var cts = new CancellationTokenSource();
        var wait = RetryPolicy.WaitAsync(TimeSpan.FromSeconds(2), time, cts.Token).AsTask();

        await cts.CancelAsync();

        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AZeroWaitCompletesAtOnceAndACancelledOneIsFalseAtOnce()
    {
        var time = new FakeTimeProvider();
        var zero = RetryPolicy.WaitAsync(TimeSpan.Zero, time, CancellationToken.None);
        var cancelled = RetryPolicy.WaitAsync(TimeSpan.FromSeconds(1), time, new CancellationToken(canceled: true));

        Assert.True(zero.IsCompletedSuccessfully);
        Assert.True(cancelled.IsCompletedSuccessfully);
        Assert.True(await zero);
        Assert.False(await cancelled);
    }
}
