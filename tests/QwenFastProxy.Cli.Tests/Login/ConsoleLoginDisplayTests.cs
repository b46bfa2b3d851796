using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Auth;
using QwenFastProxy.Cli.Login;

namespace QwenFastProxy.Cli.Tests.Login;

public sealed class ConsoleLoginDisplayTests
{
    private static readonly DeviceAuthorization Authorization = new(
        "secret-device-code", "ABCD-EFGH", "https://chat.qwen.ai/authorize", null, TimeSpan.FromMinutes(10), null);

    [Fact]
    public void WithoutATerminalItPrintsPlainLines()
    {
        var output = new StringWriter();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        string? opened = null;
        using var display = new ConsoleLoginDisplay(output, isTerminal: false, url => (opened = url) is not null, time);

        display.AuthorizationStarted(Authorization, time.GetUtcNow() + TimeSpan.FromMinutes(10));
        display.PollingSlowedDown(TimeSpan.FromSeconds(3));
        display.PollFailed("HTTP 503");
        display.PollingEnded();

        var text = output.ToString();
        Assert.Contains("https://chat.qwen.ai/authorize?user_code=ABCD-EFGH&client=qwen-code", text, StringComparison.Ordinal);
        Assert.Equal("https://chat.qwen.ai/authorize?user_code=ABCD-EFGH&client=qwen-code", opened);
        Assert.Contains("Code: ABCD-EFGH", text, StringComparison.Ordinal);
        Assert.Contains("█", text, StringComparison.Ordinal);
        Assert.Contains("Opened the link in your browser.", text, StringComparison.Ordinal);
        Assert.Contains("Waiting for approval (the code expires in 10:00)...", text, StringComparison.Ordinal);
        Assert.Contains("checking every 3 s", text, StringComparison.Ordinal);
        Assert.Contains("HTTP 503", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain("secret-device-code", text, StringComparison.Ordinal);
    }

    [Fact]
    public void OnATerminalTheCountdownIsRewrittenEverySecondUntilPollingEnds()
    {
        var output = new StringWriter();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var display = new ConsoleLoginDisplay(output, isTerminal: true, openBrowser: null, time);

        display.AuthorizationStarted(Authorization, time.GetUtcNow() + TimeSpan.FromMinutes(10));
        time.Advance(TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(1));
        display.PollingEnded();
        var afterEnd = output.ToString().Length;
        time.Advance(TimeSpan.FromSeconds(5));

        var text = output.ToString();
        Assert.Contains("\r\u001b[2KWaiting for approval... 10:00 left", text, StringComparison.Ordinal);
        Assert.Contains("\r\u001b[2KWaiting for approval... 9:59 left", text, StringComparison.Ordinal);
        Assert.Contains("\r\u001b[2KWaiting for approval... 9:58 left", text, StringComparison.Ordinal);
        Assert.Contains("Open the link in a browser", text, StringComparison.Ordinal);
        Assert.Contains("\u001b[30;47m", text, StringComparison.Ordinal);
        Assert.Equal(afterEnd, text.Length); // the countdown stopped
        Assert.EndsWith("\r\u001b[2K", text, StringComparison.Ordinal);
    }

    [Fact]
    public void NoBrowserIsTriedWithoutADisplayOrForOtherSchemes()
    {
        if (OperatingSystem.IsLinux())
        {
            Assert.False(BrowserLauncher.TryOpen("https://chat.qwen.ai/authorize", _ => null));
        }

        Assert.False(BrowserLauncher.TryOpen("file:///etc/passwd", _ => ":0"));
        Assert.False(BrowserLauncher.TryOpen("not a url", _ => ":0"));
    }
}
