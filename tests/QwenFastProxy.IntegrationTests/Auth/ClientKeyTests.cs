using System.Net;
using System.Text;
using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests.Auth;

/// <summary>PROXY_API_KEYS: every request but the CORS preflight and /healthz must carry a configured key.</summary>
public sealed class ClientKeyTests
{
    private const string ChatBody = """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}""";

    public static TheoryData<string, string> GuardedEndpoints => new()
    {
        { "POST", "/v1/chat/completions" },
        { "GET", "/v1/models" },
        { "GET", "/v1/sim/echo" },
        { "GET", "/readyz" },
        { "GET", "/nope" },
    };

    [Theory]
    [MemberData(nameof(GuardedEndpoints))]
    public async Task MissingAndWrongKeysGet401WithTheOpenAiErrorShape(string method, string path)
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ProxyApiKeys = ["key-one", "key-two"] });
        using var client = harness.CreateHttpClient();

        using var missing = await Send(client, method, path, null);
        using var wrongBearer = await Send(client, method, path, ("Authorization", "Bearer key-three"));
        using var wrongHeader = await Send(client, method, path, ("x-api-key", "key-one-and-more"));
        using var upstreamToken = await Send(client, method, path, ("Authorization", "Bearer " + ProxyHarness.UpstreamToken));
        using var noScheme = await Send(client, method, path, ("Authorization", "key-one"));

        foreach (var response in new[] { missing, wrongBearer, wrongHeader, upstreamToken, noScheme })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"code\":\"invalid_api_key\"", body, StringComparison.Ordinal);
            Assert.Contains("\"type\":\"authentication_error\"", body, StringComparison.Ordinal);
            Assert.DoesNotContain("key-one", body, StringComparison.Ordinal);
        }

        Assert.Equal(0, harness.Simulator.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(GuardedEndpoints))]
    public async Task TheRightKeyPassesAsBearerOrXApiKey(string method, string path)
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ProxyApiKeys = ["key-one", "key-two"] });
        using var client = harness.CreateHttpClient();

        using var bearer = await Send(client, method, path, ("Authorization", "Bearer key-two"));
        using var apiKey = await Send(client, method, path, ("x-api-key", "key-one"));

        var expected = path == "/nope" ? HttpStatusCode.NotFound : HttpStatusCode.OK;
        Assert.Equal(expected, bearer.StatusCode);
        Assert.Equal(expected, apiKey.StatusCode);
        foreach (var request in harness.Simulator.Requests.Snapshot())
        {
            // The client's key is the proxy's business only: upstream sees the proxy's own credentials.
            Assert.Equal("Bearer " + ProxyHarness.UpstreamToken, request.Headers["Authorization"]);
            Assert.False(request.Headers.ContainsKey("x-api-key"));
        }
    }

    [Fact]
    public async Task HealthAndPreflightNeedNoKey()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ProxyApiKeys = ["key-one"] });
        using var client = harness.CreateHttpClient();

        using var health = await client.GetAsync("/healthz");
        using var preflight = await client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "chat/completions"));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
    }

    [Fact]
    public async Task WithoutKeysConfiguredEveryClientIsLetIn()
    {
        await using var harness = await ProxyHarness.StartAsync();
        using var client = harness.CreateHttpClient();

        using var response = await Send(client, "POST", "/v1/chat/completions", ("Authorization", "Bearer anything"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string method, string path, (string Name, string Value)? header)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent(ChatBody, Encoding.UTF8, "application/json");
        }

        if (header is { } h)
        {
            request.Headers.TryAddWithoutValidation(h.Name, h.Value);
        }

        return client.SendAsync(request);
    }
}
