using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests;

/// <summary>Stopping the server lets in-flight requests finish and refuses new connections.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task InFlightStreamFinishesWhileTheServerStops()
    {
        await using var harness = await ProxyHarness.StartAsync();
        harness.Simulator.Options.ChunkCount = 10;
        harness.Simulator.Options.ChunkDelay = TimeSpan.FromMilliseconds(100);
        await using var connection = await RawHttpConnection.ConnectAsync(harness.EndPoint);
        var body = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
        await connection.SendAsync($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        await harness.Simulator.Requests.WaitForRequestAsync(0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var stopping = harness.Server.StopAsync(TimeSpan.FromSeconds(20));
        var response = await connection.ReadResponseAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(200, response.Status);
        Assert.EndsWith("data: [DONE]\n\n", response.BodyText);
        Assert.True(response.ClosesConnection || await connection.IsClosedByServerAsync());
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var late = await RawHttpConnection.ConnectAsync(harness.EndPoint);
            await late.SendAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            await late.ReadResponseAsync();
        });
    }
}
