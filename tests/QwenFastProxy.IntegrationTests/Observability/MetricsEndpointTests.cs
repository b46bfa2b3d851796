using System.Net;
using System.Text;
using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests.Observability;

/// <summary>/metrics, /status.json and the status page through the real proxy.</summary>
public sealed class MetricsEndpointTests
{
    private const string Chat = """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hello there"}]}""";
    private const string StreamChat = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"hello there"}]}""";

    [Fact]
    public async Task MetricsCountRequestsByRouteAndStatusClassAndTheUpstreamAttempts()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = harness.CreateHttpClient();

        using (var chat = await client.PostAsync("/v1/chat/completions", new StringContent(Chat, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }
        using (var stream = await client.PostAsync("/v1/chat/completions", new StringContent(StreamChat, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
            Assert.Contains("[DONE]", await stream.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var models = await client.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        }
        using (var missing = await client.GetAsync("/nope"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        var samples = await ScrapeClient.MetricsWhenAsync(client, s =>
            ScrapeClient.Requests(s, "chat", "2xx") >= 2 && ScrapeClient.Requests(s, "models", "2xx") >= 1 && ScrapeClient.Requests(s, "other", "4xx") >= 1);

        Assert.Equal(2, ScrapeClient.Requests(samples, "chat", "2xx"));
        Assert.Equal(1, ScrapeClient.Requests(samples, "models", "2xx"));
        Assert.Equal(1, ScrapeClient.Requests(samples, "other", "4xx"));
        Assert.Equal(0, ScrapeClient.Requests(samples, "chat", "5xx"));
        Assert.Equal(2, samples["qwenfastproxy_upstream_attempts_total"]);
        Assert.Equal(0, samples["qwenfastproxy_upstream_retries_total"]);
        Assert.Equal(1, samples["qwenfastproxy_ready"]);
        Assert.Equal(0, samples["qwenfastproxy_circuit_state"]);
        Assert.Equal(0, samples["qwenfastproxy_active_streams"]);
        Assert.True(samples["qwenfastproxy_active_connections"] >= 1); // the scrape's own connection
        Assert.True(samples["qwenfastproxy_connections_total"] >= 1);
        Assert.True(samples["qwenfastproxy_request_bytes_total"] >= Chat.Length + StreamChat.Length);
        Assert.True(samples["qwenfastproxy_response_bytes_total"] > 0);
        Assert.True(samples["qwenfastproxy_request_duration_seconds_count"] >= 4);
        Assert.Equal(samples["qwenfastproxy_request_duration_seconds_count"], samples["qwenfastproxy_request_duration_seconds_bucket{le=\"+Inf\"}"]);
        Assert.True(samples["qwenfastproxy_time_to_first_byte_seconds_count"] >= 4);
    }

    [Fact]
    public async Task RetriesAreCountedAsExtraAttempts()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 3 });
        using var client = harness.CreateHttpClient();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Chat, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Sim-Fault", "503;first=2");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var samples = await ScrapeClient.MetricsWhenAsync(client, s => ScrapeClient.Requests(s, "chat", "2xx") >= 1);
        Assert.Equal(3, samples["qwenfastproxy_upstream_attempts_total"]);
        Assert.Equal(2, samples["qwenfastproxy_upstream_retries_total"]);
        Assert.Equal(1, ScrapeClient.Requests(samples, "chat", "2xx"));
    }

    [Fact]
    public async Task StatusJsonReportsStateAndFiguresAndReflectsAnOpenCircuit()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { RetryMaxAttempts = 0, CircuitBreakerFailures = 1, CircuitBreakerReset = TimeSpan.FromMinutes(10) });
        using var client = harness.CreateHttpClient();

        var before = await ScrapeClient.StatusAsync(client);
        Assert.Equal("ready", before.GetProperty("status").GetString());
        Assert.Equal("oauth", before.GetProperty("mode").GetString());
        Assert.Equal(harness.Simulator.BaseUrl.ToString().TrimEnd('/'), before.GetProperty("upstream").GetString());
        Assert.Equal("closed", before.GetProperty("circuit").GetString());
        Assert.True(before.GetProperty("uptime_seconds").GetInt64() >= 0);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, before.GetProperty("token_expires_in_seconds").ValueKind); // a static token has no known expiry
        foreach (var name in new[] { "requests_total", "server_errors_total", "active_connections", "active_streams", "upstream_attempts_total", "upstream_retries_total", "stutter_chunks_repaired_total", "stutter_bytes_removed_total", "token_refreshes_total", "token_refresh_failures_total", "now_ms" })
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Number, before.GetProperty(name).ValueKind);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Chat, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Sim-Fault", "503");
        using (var failed = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }

        var after = await ScrapeClient.StatusAsync(client);
        Assert.Equal("not_ready", after.GetProperty("status").GetString());
        Assert.Contains("circuit", after.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("open", after.GetProperty("circuit").GetString());
        var samples = await ScrapeClient.MetricsWhenAsync(client, s => ScrapeClient.Requests(s, "chat", "5xx") >= 1);
        Assert.Equal(0, samples["qwenfastproxy_ready"]);
        Assert.Equal(1, samples["qwenfastproxy_circuit_state"]);
        Assert.Equal(1, samples["qwenfastproxy_circuit_opens_total"]);
        Assert.Equal(1, ScrapeClient.Requests(samples, "chat", "5xx"));
        var status = await ScrapeClient.StatusAsync(client);
        Assert.Equal(1, status.GetProperty("server_errors_total").GetInt64());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/status")]
    public async Task TheStatusPageIsOneSelfContainedHtmlDocument(string path)
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = harness.CreateHttpClient();

        using var response = await client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("status.json", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);       // no external script or image
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);      // no external stylesheet
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithClientKeysMetricsAndStatusJsonNeedAKeyButThePageShellDoesNot()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ProxyApiKeys = ["scrape-key"] });
        using var client = harness.CreateHttpClient();

        using (var metrics = await client.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
        }
        using (var status = await client.GetAsync("/status.json"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, status.StatusCode);
        }
        using (var page = await client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "scrape-key");
        var samples = await ScrapeClient.MetricsWhenAsync(client, s => ScrapeClient.Requests(s, "other", "4xx") >= 2);
        Assert.Equal(2, ScrapeClient.Requests(samples, "other", "4xx"));
        Assert.Equal("ready", (await ScrapeClient.StatusAsync(client)).GetProperty("status").GetString());
    }
}
