using QwenFastProxy.Auth;

namespace QwenFastProxy.Tests.Auth;

public class QwenCredentialsTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static QwenCredentials WithExpiry(DateTimeOffset? expiry) => new("access", "Bearer", "refresh", "portal.qwen.ai", expiry);

    [Fact]
    public void NotExpiredWhenExpiryIsBeyondTheMargin()
    {
        Assert.False(WithExpiry(Now.AddMinutes(10)).IsExpired(Now, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void ExpiredWithinTheMargin()
    {
        Assert.True(WithExpiry(Now.AddSeconds(20)).IsExpired(Now, TimeSpan.FromSeconds(30)));
        Assert.True(WithExpiry(Now.AddSeconds(30)).IsExpired(Now, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void ExpiredInThePast()
    {
        Assert.True(WithExpiry(Now.AddSeconds(-1)).IsExpired(Now, TimeSpan.Zero));
    }

    [Fact]
    public void UnknownExpiryIsNotExpired()
    {
        Assert.False(WithExpiry(null).IsExpired(Now, TimeSpan.FromMinutes(30)));
    }

    [Fact]
    public void ToStringNeverShowsTokens()
    {
        string text = new QwenCredentials("secret-access", "Bearer", "secret-refresh", "portal.qwen.ai", Now).ToString();
        Assert.DoesNotContain("secret-access", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-refresh", text, StringComparison.Ordinal);
        Assert.Contains("portal.qwen.ai", text, StringComparison.Ordinal);
    }
}
