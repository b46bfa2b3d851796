using System.Net;
using System.Net.Http.Headers;
using System.Text;
using QwenFastProxy.Configuration;
using QwenFastProxy.IntegrationTests.Auth;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Observability;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Observability;

/// <summary>
/// A full run with secret upstream keys, OAuth tokens, client keys and marked request bodies leaves
/// none of them in the log output (text or JSON), in <c>/metrics</c> or in <c>/status.json</c>.
/// </summary>
public sealed class LogHygieneTests
{
    private const string UpstreamKey = "sk-UPSTREAMSECRET-4b1d9e";
    private const string ClientKey = "CLIENTSECRET-93af01";
    private const string WrongKey = "WRONGKEYSECRET-1c2d3e";
    private const string QueryKey = "QUERYSECRET-77aa00";
    private const string BodyMarker = "BODYSECRET-5e6f70";

    [Theory]
    [InlineData(LogFormat.Text)]
    [InlineData(LogFormat.Json)]
    public async Task AnApiKeyRunLeavesNoSecretInLogsMetricsOrStatus(LogFormat format)
    {
        var sink = new MemoryStream();
        var loggerFactory = LoggingSetup.Create(debug: false, format, sink);
        string metrics, status;
        await using (var harness = await ProxyHarness.StartAsync(
            o => o with { ApiKey = UpstreamKey, ProxyApiKeys = [ClientKey], RetryMaxAttempts = 0, LogFormat = format },
            new SimulatorOptions { RequiredBearerToken = UpstreamKey },
            loggerFactory: loggerFactory))
        {
            using var client = harness.CreateHttpClient();
            await RunScenarioAsync(client);
            (metrics, status) = await ScrapeAsync(client);
        }
        loggerFactory.Dispose(); // flushes ZLogger's queue into the stream

        var log = Encoding.UTF8.GetString(sink.ToArray());
        AssertLogWasWritten(log);
        AssertClean([UpstreamKey, ClientKey, WrongKey, QueryKey, BodyMarker], log, metrics, status);
    }

    [Theory]
    [InlineData(LogFormat.Text)]
    [InlineData(LogFormat.Json)]
    public async Task AnOAuthRunWithARefreshLeavesNoTokenInLogsMetricsOrStatus(LogFormat format)
    {
        var sink = new MemoryStream();
        var loggerFactory = LoggingSetup.Create(debug: false, format, sink);
        var secrets = new List<string> { ClientKey, WrongKey, QueryKey, BodyMarker };
        string metrics, status;
        await using (var harness = await OAuthHarness.StartAsync())
        {
            var login = harness.SaveLogin();
            secrets.Add(login.AccessToken);
            secrets.Add(login.RefreshToken!);
            var proxy = await harness.StartProxyAsync(o => o with { ProxyApiKeys = [ClientKey], RetryMaxAttempts = 0, LogFormat = format, ForwardSimulatorHeaders = true }, loggerFactory);
            using var client = proxy.CreateClient();

            await RunScenarioAsync(client);
            harness.Clock.Advance(OAuthHarness.TokenLifetime + TimeSpan.FromSeconds(1)); // the next request must refresh
            await ChatAsync(client, stream: false, HttpStatusCode.OK);
            secrets.Add(proxy.Provider.Current.AccessToken);
            secrets.Add(proxy.Provider.Current.RefreshToken!);
            Assert.NotEqual(login.AccessToken, proxy.Provider.Current.AccessToken);

            (metrics, status) = await ScrapeAsync(client);
            Assert.True(ScrapeClient.Parse(metrics)["qwenfastproxy_token_refreshes_total"] >= 1);
            Assert.Contains("\"token_expires_in_seconds\":", status, StringComparison.Ordinal);
            Assert.Contains("\"mode\":\"oauth\"", status, StringComparison.Ordinal);
        }
        loggerFactory.Dispose();

        var log = Encoding.UTF8.GetString(sink.ToArray());
        AssertLogWasWritten(log);
        Assert.Contains("refresh", log, StringComparison.OrdinalIgnoreCase); // the refresh itself was logged, without its tokens
        AssertClean(secrets, log, metrics, status);
    }

    /// <summary>Successes, refusals and failures, each carrying secrets where a careless proxy would echo them.</summary>
    private static async Task RunScenarioAsync(HttpClient client)
    {
        client.DefaultRequestHeaders.UserAgent.ParseAdd("hygiene-test/1.0");

        // Refused: a wrong key, in both header forms.
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WrongKey);
        await ChatAsync(client, stream: false, HttpStatusCode.Unauthorized);
        client.DefaultRequestHeaders.Authorization = null;
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models"))
        {
            request.Headers.Add("x-api-key", WrongKey);
            using var refused = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClientKey);
        await ChatAsync(client, stream: false, HttpStatusCode.OK);
        await ChatAsync(client, stream: true, HttpStatusCode.OK);
        using (var models = await client.GetAsync("/v1/models?key=" + QueryKey))
        {
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        }

        // A body the proxy cannot parse, and an upstream failure: both produce error messages.
        using (var invalid = await client.PostAsync("/v1/chat/completions", new StringContent("{\"model\":\"" + BodyMarker, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            Assert.DoesNotContain(BodyMarker, await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body(stream: false) })
        {
            request.Headers.Add("X-Sim-Fault", "500");
            using var failed = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }
    }

    private static async Task ChatAsync(HttpClient client, bool stream, HttpStatusCode expected)
    {
        using var response = await client.PostAsync("/v1/chat/completions", Body(stream));
        Assert.Equal(expected, response.StatusCode);
        _ = await response.Content.ReadAsStringAsync();
    }

    private static StringContent Body(bool stream) => new(
        $$"""{"model":"qwen3-coder-plus","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"{{BodyMarker}}"}]}""",
        Encoding.UTF8,
        "application/json");

    private static async Task<(string Metrics, string Status)> ScrapeAsync(HttpClient client)
    {
        // Wait until the access log has counted the scenario's requests, so the log holds their lines too.
        _ = await ScrapeClient.MetricsWhenAsync(client, s => ScrapeClient.Requests(s, "chat", "2xx") >= 2 && ScrapeClient.Requests(s, "models", "2xx") >= 1);
        using var metrics = await client.GetAsync("/metrics");
        using var status = await client.GetAsync("/status.json");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        return (await metrics.Content.ReadAsStringAsync(), await status.Content.ReadAsStringAsync());
    }

    private static void AssertLogWasWritten(string log)
    {
        Assert.Contains("/v1/chat/completions", log, StringComparison.Ordinal);
        Assert.Contains("/v1/models", log, StringComparison.Ordinal);
        Assert.Contains("hygiene-test/1.0", log, StringComparison.Ordinal);
    }

    private static void AssertClean(IEnumerable<string> secrets, string log, string metrics, string status)
    {
        foreach (var secret in secrets)
        {
            Assert.False(string.IsNullOrEmpty(secret));
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, metrics, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, status, StringComparison.Ordinal);
        }
    }
}
