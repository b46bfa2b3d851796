using QwenFastProxy.Cli.Hosting;

namespace QwenFastProxy.IntegrationTests;

/// <summary>The binary's threading: exchanges inline on the socket event threads unless the environment says no.</summary>
public sealed class EventThreadsTests
{
    [Fact]
    public void TheseTestsRunTheProxyInlineAsTheBinaryDoes()
    {
        // Set by inline-event-threads.runsettings; without it every proxy here would run the thread-pool way.
        Assert.Equal("1", Environment.GetEnvironmentVariable(EventThreads.InlineCompletionsVariable));
        Assert.True(EventThreads.Inline);
    }

    [Theory]
    [InlineData(null, "1")]
    [InlineData("0", null)]
    [InlineData("1", null)]
    [InlineData("", null)]
    public void AnEnvironmentThatAlreadyDecidedIsLeftAlone(string? current, string? expected)
    {
        Assert.Equal(expected, EventThreads.ValueToSet(current));
    }
}
