using QwenFastProxy.IntegrationTests.Observability;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>A client that walks away from a stream (Claude Code's Esc) leaves the proxy as it found it.</summary>
public sealed class SdkDisconnectTests
{
    // Scrapes of /metrics before the stream gauge must read 0; each scrape is a full request, so this bounds the wait
    // without a clock.
    private const int MaxScrapes = 500;

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task CancellingAStreamEndsItUpstreamAndTheNextRequestSucceeds(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode);
        // The upstream sends one delta, then nothing until its client leaves. The client drains nothing of an abandoned
        // answer: it drops the connection at once, as a terminal client closing does.
        using var dropping = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { Timeout = SdkProxy.Bound };
        using (var client = proxy.Client(fault: "stall;after=1", http: dropping))
        using (var cancel = new CancellationTokenSource())
        {
            var events = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var streamed in client.Sdk.Messages.CreateStreaming(SdkRequests.Text(), cancel.Token))
                {
                    events++;
                    if (streamed.TryPickStart(out _))
                    {
                        await cancel.CancelAsync();
                    }
                }
            });
            Assert.True(events >= 1);
        }

        // The proxy let go of the upstream request as soon as its client was gone.
        var abandoned = Assert.Single(proxy.Simulator.Requests.Snapshot());
        Assert.False(await abandoned.Completed.WaitAsync(SdkProxy.Bound));

        using (var next = proxy.Client())
        {
            var message = await next.Sdk.Messages.Create(SdkRequests.Text());
            Assert.Equal(SimulatorOptions.DefaultResponseText, MessageText.Text(message));
        }

        using var http = proxy.Http();
        var active = double.NaN;
        for (var scrape = 0; scrape < MaxScrapes && active != 0; scrape++)
        {
            active = (await ScrapeClient.MetricsAsync(http))["qwenfastproxy_active_streams"];
        }
        Assert.Equal(0, active);
    }
}
