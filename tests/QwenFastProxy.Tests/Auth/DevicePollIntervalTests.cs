using QwenFastProxy.Auth;

namespace QwenFastProxy.Tests.Auth;

public sealed class DevicePollIntervalTests
{
    [Fact]
    public void StartsAtTwoSecondsWithoutAServerInterval() =>
        Assert.Equal(TimeSpan.FromSeconds(2), DevicePollInterval.Initial(null));

    [Fact]
    public void StartsAtTheServerInterval() =>
        Assert.Equal(TimeSpan.FromSeconds(5), DevicePollInterval.Initial(TimeSpan.FromSeconds(5)));

    [Fact]
    public void SlowDownMultipliesByOneAndAHalfUpToTenSeconds()
    {
        var intervals = new List<double>();
        var interval = DevicePollInterval.Initial(null);
        for (var i = 0; i < 6; i++)
        {
            interval = DevicePollInterval.AfterSlowDown(interval);
            intervals.Add(interval.TotalSeconds);
        }

        Assert.Equal([3, 4.5, 6.75, 10, 10, 10], intervals);
    }

    [Fact]
    public void SlowDownNeverShortensAServerIntervalAboveTheCap() =>
        Assert.Equal(TimeSpan.FromSeconds(15), DevicePollInterval.AfterSlowDown(TimeSpan.FromSeconds(15)));
}
