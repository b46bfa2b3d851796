using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests.Hardening;

/// <summary>Connection limits through the real proxy: a flood of slow clients and the concurrent-connection cap.</summary>
public sealed class ConnectionLimitTests
{
    private const string ChatJson = """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task ManySlowConnectionsDoNotStopWellBehavedClients()
    {
        const int slowCount = 200;
        await using var harness = await ProxyHarness.StartAsync();
        var slow = new List<RawHttpConnection>(slowCount);
        try
        {
            // Each slow client has sent part of a head and then goes quiet (inside the headers timeout).
            for (var i = 0; i < slowCount; i++)
            {
                var connection = await RawHttpConnection.ConnectAsync(harness.EndPoint);
                slow.Add(connection);
                await connection.SendAsync("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            }

            using var client = harness.CreateHttpClient();
            for (var i = 0; i < 10; i++)
            {
                using var content = new StringContent(ChatJson, System.Text.Encoding.UTF8, "application/json");
                using var response = await client.PostAsync("chat/completions", content);
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            }
            Assert.Equal(10, harness.Simulator.Requests.Count);

            // The slow clients were held, not dropped: each finishes its head and is served.
            foreach (var connection in slow)
            {
                await connection.SendAsync("a\r\n\r\n");
            }
            foreach (var connection in slow)
            {
                Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            }
        }
        finally
        {
            foreach (var connection in slow)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AConnectionBeyondTheLimitIsClosedWithoutBeingRead()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { MaxConcurrentConnections = 3 });
        var held = new List<RawHttpConnection>();
        try
        {
            // Three keep-alive connections, each proven to be served, hold the three slots.
            for (var i = 0; i < 3; i++)
            {
                var connection = await RawHttpConnection.ConnectAsync(harness.EndPoint);
                held.Add(connection);
                await connection.SendAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
                Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            }

            await using var extra = await RawHttpConnection.ConnectAsync(harness.EndPoint);
            await extra.SendAsync($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {ChatJson.Length}\r\n\r\n{ChatJson}");
            Assert.True(await extra.IsClosedByServerAsync());
            Assert.Equal(0, harness.Simulator.Requests.Count);

            // The connections within the limit still work.
            await held[0].SendAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, (await held[0].ReadResponseAsync()).Status);
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }
    [Fact]
    public async Task ABodyBelowTheMinimumDataRateGets408AndTheConnectionCloses()
    {
        // A rate no client on loopback could fail by accident once it stops sending: 10 bytes of 1000, then silence.
        await using var harness = await ProxyHarness.StartAsync(o => o with
        {
            MinRequestBodyBytesPerSecond = 1_000,
            MinRequestBodyDataRateGracePeriod = TimeSpan.FromMilliseconds(200),
        });
        await using var connection = await RawHttpConnection.ConnectAsync(harness.EndPoint);

        await connection.SendAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":");

        var response = await connection.ReadResponseAsync();
        Assert.Equal(408, response.Status);
        Assert.Contains("minimum data rate", response.BodyText, StringComparison.Ordinal);
        Assert.True(response.ClosesConnection);
        Assert.True(await connection.IsClosedByServerAsync());
        Assert.Equal(0, harness.Simulator.Requests.Count);
    }

    [Fact]
    public async Task DeepPipeliningIsAnsweredInFullAndInOrder()
    {
        // Far more pipelined requests than the pipelining depth (16): held answers are flushed in batches.
        const int count = 500;
        await using var harness = await ProxyHarness.StartAsync();
        await using var connection = await RawHttpConnection.ConnectAsync(harness.EndPoint);

        await connection.SendAsync(string.Concat(Enumerable.Range(0, count).Select(i => i % 2 == 0
            ? "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            : "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")));

        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i % 2 == 0 ? 200 : 404, (await connection.ReadResponseAsync()).Status);
        }
    }
}
