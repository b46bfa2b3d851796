using System.Globalization;
using System.Net.Http.Headers;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Tests.Resilience;

public sealed class RetryAfterHeaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1", 1)]
    [InlineData("120", 120)]
    [InlineData(" 5 ", 5)]
    [InlineData("0007", 7)]
    public void DeltaSeconds(string value, int seconds)
    {
        Assert.True(RetryAfterHeader.TryParse(value, Now, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(seconds), wait);
    }

    [Theory]
    [InlineData("86400")]
    [InlineData("100000")]
    [InlineData("99999999999999999999999")]
    public void HugeDeltasClampToADay(string value)
    {
        Assert.True(RetryAfterHeader.TryParse(value, Now, out var wait));
        Assert.Equal(RetryAfterHeader.MaxWait, wait);
    }

    [Fact]
    public void ImfFixdate()
    {
        var value = Now.AddSeconds(30).ToString("r", CultureInfo.InvariantCulture);

        Assert.True(RetryAfterHeader.TryParse(value, Now, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(30), wait);
    }

    [Theory]
    [InlineData("Thursday, 26-Nov-26 10:00:45 GMT", 45)]
    [InlineData("Thu Nov 26 10:01:00 2026", 60)]
    public void ObsoleteDateForms(string value, int seconds)
    {
        Assert.True(RetryAfterHeader.TryParse(value, Now, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(seconds), wait);
    }

    [Fact]
    public void AsctimeWithASingleDigitDay()
    {
        var now = new DateTimeOffset(1994, 11, 6, 8, 49, 30, TimeSpan.Zero);

        Assert.True(RetryAfterHeader.TryParse("Sun Nov  6 08:49:37 1994", now, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(7), wait);
    }

    [Fact]
    public void ADateInThePastMeansNow()
    {
        var value = Now.AddMinutes(-5).ToString("r", CultureInfo.InvariantCulture);

        Assert.True(RetryAfterHeader.TryParse(value, Now, out var wait));
        Assert.Equal(TimeSpan.Zero, wait);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("5s")]
    [InlineData("soon")]
    [InlineData("2026-11-26T10:00:30Z")]
    public void AnythingElseIsNotARetryAfter(string value)
    {
        Assert.False(RetryAfterHeader.TryParse(value, Now, out var wait));
        Assert.Equal(TimeSpan.Zero, wait);
    }

    [Fact]
    public void FromAHeaderParsedBySystemNetHttp()
    {
        Assert.Equal(TimeSpan.FromSeconds(9), RetryAfterHeader.From(new RetryConditionHeaderValue(TimeSpan.FromSeconds(9)), Now));
        Assert.Equal(TimeSpan.FromSeconds(20), RetryAfterHeader.From(new RetryConditionHeaderValue(Now.AddSeconds(20)), Now));
        Assert.Equal(TimeSpan.Zero, RetryAfterHeader.From(new RetryConditionHeaderValue(Now.AddSeconds(-20)), Now));
        Assert.Equal(RetryAfterHeader.MaxWait, RetryAfterHeader.From(new RetryConditionHeaderValue(TimeSpan.FromDays(3)), Now));
        Assert.Equal(TimeSpan.Zero, RetryAfterHeader.From(null, Now));
    }

    [Theory]
    [InlineData(-5000, 1)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(1001, 2)]
    [InlineData(29_999, 30)]
    [InlineData(30_000, 30)]
    public void TheProxysOwnRetryAfterIsWholeSecondsRoundedUpAndAtLeastOne(int milliseconds, int seconds)
    {
        Assert.Equal(seconds, RetryAfterHeader.ToDeltaSeconds(TimeSpan.FromMilliseconds(milliseconds)));
    }
}
