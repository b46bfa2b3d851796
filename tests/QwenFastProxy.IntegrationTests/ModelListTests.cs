using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests;

/// <summary><c>GET /v1/models</c>: the upstream's own list with an API key (kept an hour), the local list otherwise.</summary>
public sealed class ModelListTests
{
    [Fact]
    public async Task WithAnApiKeyTheUpstreamsListIsServedAndKeptForAnHour()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = ProxyHarness.UpstreamToken }, time: clock);
        using var client = harness.CreateHttpClient();

        Assert.Equal(["qwen3-coder-plus", "qwen3-coder-flash"], await IdsAsync(client)); // the simulator's two, not the local four
        Assert.Equal(["qwen3-coder-plus", "qwen3-coder-flash"], await IdsAsync(client));
        Assert.Equal(1, ModelCalls(harness));

        clock.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(["qwen3-coder-plus", "qwen3-coder-flash"], await IdsAsync(client)); // the stale list, while the refresh runs
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var refresh = await harness.Simulator.Requests.WaitForRequestAsync(1, deadline.Token);
        Assert.Equal("/v1/models", refresh.Path);
    }

    [Fact]
    public async Task AnUpstreamWithoutAListLeavesTheLocalOne()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = "a-key-the-simulator-refuses" });
        using var client = harness.CreateHttpClient();

        var ids = await IdsAsync(client);

        Assert.Equal(["qwen3-coder-plus", "qwen3-coder-flash", "coder-model", "vision-model"], ids);
        Assert.Equal(1, ModelCalls(harness));
        await IdsAsync(client);
        Assert.Equal(1, ModelCalls(harness)); // a failed fetch is not repeated at once
    }

    [Fact]
    public async Task WithAnOAuthLoginTheLocalListIsServed()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = harness.CreateHttpClient();

        Assert.Equal(["qwen3-coder-plus", "qwen3-coder-flash", "coder-model", "vision-model"], await IdsAsync(client));
        Assert.Equal(0, ModelCalls(harness));
    }

    private static async Task<string[]> IdsAsync(HttpClient client)
    {
        using var response = await client.GetAsync("models");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. list.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
    }

    private static int ModelCalls(ProxyHarness harness) =>
        harness.Simulator.Requests.Snapshot().Count(r => r.Path == "/v1/models");
}
