using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests;

/// <summary>What crosses the proxy towards Qwen and back: headers, models, bodies, errors.</summary>
public sealed class ForwardingTests
{
    private const string ChatBody = """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task UpstreamGetsTheProxyCredentialsAndQwenHeadersNeverTheClientKey()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = harness.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "client-secret");
        client.DefaultRequestHeaders.Add("x-api-key", "client-secret-2");

        using var response = await client.PostAsync("chat/completions", Json(ChatBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(harness.Simulator.Requests.Snapshot());
        Assert.Equal("Bearer " + ProxyHarness.UpstreamToken, seen.Headers["Authorization"]);
        Assert.DoesNotContain("client-secret", string.Join("\n", seen.Headers.Values));
        Assert.StartsWith("QwenCode/", seen.Headers["User-Agent"]);
        Assert.Equal(seen.Headers["User-Agent"], seen.Headers["X-DashScope-UserAgent"]);
        Assert.Equal("enable", seen.Headers["X-DashScope-CacheControl"]);
        Assert.Equal("qwen-oauth", seen.Headers["X-DashScope-AuthType"]);
        Assert.StartsWith("application/json", seen.Headers["Content-Type"]);
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o","messages":[]}""", """{"model":"qwen3-coder-plus","messages":[]}""")]
    [InlineData("""{"messages":[],"model":"claude"}""", """{"messages":[],"model":"qwen3-coder-plus"}""")]
    [InlineData("""{"messages":[]}""", """{"model":"qwen3-coder-plus","messages":[]}""")]
    [InlineData("""{"model":"qwen3-coder-flash","messages":[]}""", """{"model":"qwen3-coder-flash","messages":[]}""")]
    public async Task OAuthModeMapsUnknownModelsToTheDefaultByteForByte(string sent, string expectedUpstream)
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", Json(sent));

        var seen = Assert.Single(harness.Simulator.Requests.Snapshot());
        Assert.Equal(expectedUpstream, Encoding.UTF8.GetString(seen.Body));
    }

    [Theory]
    [InlineData(true, """{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"x"}]}""", """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"x"}]}""")]
    [InlineData(true, """{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}""", """{"model":"qwen3-max","messages":[{"role":"user","content":"x"}]}""")]
    [InlineData(true, """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}]}""", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}]}""")] // no rule: as sent
    [InlineData(false, """{"model":"claude-opus-4","messages":[{"role":"user","content":"x"}]}""", """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"x"}]}""")]
    [InlineData(false, """{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}""", """{"model":"qwen3-coder-flash","messages":[{"role":"user","content":"x"}]}""")] // qwen3-max is no OAuth model: the default
    public async Task AliasesSendTheModelClientsInsistOnAsAQwenModel(bool apiKeyMode, string sent, string expectedUpstream)
    {
        Assert.True(QwenFastProxy.Configuration.ModelAliases.TryParse("claude-*=qwen3-coder-plus,gpt-4o=qwen3-max", out var aliases, out _));
        await using var harness = await ProxyHarness.StartAsync(o => o with
        {
            ApiKey = apiKeyMode ? ProxyHarness.UpstreamToken : null,
            ModelAliases = aliases,
            DefaultModel = "qwen3-coder-flash",
        });
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", Json(sent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expectedUpstream, Encoding.UTF8.GetString(Assert.Single(harness.Simulator.Requests.Snapshot()).Body));
    }

    [Fact]
    public async Task ApiKeyModePassesModelsThroughAndSendsTheKey()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = ProxyHarness.UpstreamToken });
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", Json("""{"model":"qwen-max","messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(harness.Simulator.Requests.Snapshot());
        Assert.Contains("\"model\":\"qwen-max\"", Encoding.UTF8.GetString(seen.Body));
        Assert.False(seen.Headers.ContainsKey("X-DashScope-AuthType"));
    }

    [Fact]
    public async Task OtherV1PathsAreForwardedAsTheyAre()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("sim/echo?a=1&b=two", new StringContent("raw body", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("POST", echo.RootElement.GetProperty("method").GetString());
        Assert.Equal("/v1/sim/echo", echo.RootElement.GetProperty("path").GetString());
        Assert.Equal("?a=1&b=two", echo.RootElement.GetProperty("query").GetString());
        Assert.Equal("raw body", echo.RootElement.GetProperty("body").GetString());
    }

    [Fact]
    public async Task UpstreamErrorsPassThroughWithTheirStatus()
    {
        await using var harness = await ProxyHarness.StartAsync();
        harness.Simulator.Options.RequiredBearerToken = "some-other-token";
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", Json(ChatBody));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_api_key", error.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task UnreachableUpstreamGives502InOpenAiShape()
    {
        // A port that was just free: nothing listens there.
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var deadPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var harness = await ProxyHarness.StartAsync(upstreamOverride: $"http://127.0.0.1:{deadPort}/v1");
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", Json(ChatBody));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await AssertOpenAiError(response, "upstream_unreachable");
    }

    [Fact]
    public async Task InvalidJsonBodyIsRefusedLocally()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", Json("""{"model": "x", """));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertOpenAiError(response, "invalid_request_body");
        Assert.Equal(0, harness.Simulator.Requests.Count);
    }

    [Fact]
    public async Task ProxyApiKeysAreRequiredWhenConfigured()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ProxyApiKeys = ["k1", "k2"] });
        using var client = harness.CreateHttpClient();

        using var without = await client.PostAsync("chat/completions", Json(ChatBody));
        using var wrong = await Send(client, "Bearer k3");
        using var bearer = await Send(client, "Bearer k2");
        using var apiKeyRequest = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json(ChatBody) };
        apiKeyRequest.Headers.Add("x-api-key", "k1");
        using var apiKey = await client.SendAsync(apiKeyRequest);
        using var health = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        await AssertOpenAiError(without, "invalid_api_key");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, apiKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(2, harness.Simulator.Requests.Count);

        static async Task<HttpResponseMessage> Send(HttpClient client, string authorization)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = Json(ChatBody) };
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            return await client.SendAsync(request);
        }
    }

    [Fact]
    public async Task LocalEndpointsAnswer()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = harness.CreateHttpClient();

        using var health = await client.GetAsync("/healthz");
        using var ready = await client.GetAsync("/readyz");
        using var missing = await client.GetAsync("/nope");
        using var wrongMethod = await client.GetAsync("chat/completions");
        using var preflight = await client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "chat/completions"));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await AssertOpenAiError(missing, "not_found");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Contains("POST", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Methods")));
        Assert.Equal("*", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task AssertOpenAiError(HttpResponseMessage response, string code)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = document.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        Assert.Equal(code, error.GetProperty("code").GetString());
    }
}
