using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Auth;
using QwenFastProxy.Cli.Hosting;
using QwenFastProxy.Configuration;
using QwenFastProxy.Observability;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests;

/// <summary>LOG_FORMAT=json gives one JSON object per request with the access-log fields, and no secrets.</summary>
public sealed class AccessLogTests
{
    [Fact]
    public async Task JsonAccessLogHasOneObjectPerRequestAndNoSecrets()
    {
        var (text, access) = await LogOfAsync(async client =>
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "CLIENT-SECRET");
            client.DefaultRequestHeaders.UserAgent.ParseAdd("test-agent/1.0");
            client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7, 10.0.0.1");
            using var chat = await client.PostAsync("chat/completions?key=QUERY-SECRET",
                new StringContent("""{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"BODY-SECRET"}]}""", Encoding.UTF8, "application/json"));
            using var missing = await client.GetAsync("/nope");
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        });

        Assert.Equal(2, access.Count);
        var first = access[0];
        Assert.Equal("203.0.113.7", first.GetProperty("client_ip").GetString());
        Assert.Equal("POST", first.GetProperty("method").GetString());
        Assert.Equal("/v1/chat/completions", first.GetProperty("path").GetString());
        Assert.Equal(200, first.GetProperty("status").GetInt32());
        Assert.Equal(200, first.GetProperty("upstream_status").GetInt32());
        Assert.Equal("qwen3-coder-plus", first.GetProperty("model").GetString());
        Assert.False(first.GetProperty("streaming").GetBoolean());
        Assert.True(first.GetProperty("request_bytes").GetInt64() > 0);
        Assert.True(first.GetProperty("response_bytes").GetInt64() > 0);
        Assert.True(first.GetProperty("duration_ms").GetDouble() >= first.GetProperty("ttfb_ms").GetDouble());
        Assert.Equal("test-agent/1.0", first.GetProperty("user_agent").GetString());
        Assert.Equal(404, access[1].GetProperty("status").GetInt32());
        Assert.Equal("not_found", access[1].GetProperty("error").GetString());
        Assert.DoesNotContain("SECRET", text);
    }

    [Theory]
    [InlineData("qwen3-coder-plus")] // sent as the client wrote it
    [InlineData("gpt-4o")] // rewritten to the default model: the proxy sends its own copy of the body
    public async Task AStreamLogsItsRequestSizeAfterLettingGoOfTheBody(string model)
    {
        // A stream frees the request body once the upstream has it; the line still counts what the client sent.
        var body = $$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"{{new string('x', 3000)}}"}]}""";
        var (_, access) = await LogOfAsync(async client =>
        {
            client.DefaultRequestHeaders.UserAgent.ParseAdd("stream-agent/2.0");
            using var chat = await client.PostAsync("chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
            Assert.Contains("data: [DONE]", await chat.Content.ReadAsStringAsync());
        });

        var line = Assert.Single(access);
        Assert.True(line.GetProperty("streaming").GetBoolean());
        Assert.Equal(Encoding.UTF8.GetByteCount(body), line.GetProperty("request_bytes").GetInt64());
        Assert.Equal("stream-agent/2.0", line.GetProperty("user_agent").GetString());
    }

    /// <summary>The JSON access lines (and the whole log) of a proxy in front of the simulator while <paramref name="use"/> runs.</summary>
    private static async Task<(string Text, List<JsonElement> Access)> LogOfAsync(Func<HttpClient, Task> use)
    {
        var sink = new MemoryStream();
        await using var simulator = await QwenSimulator.StartAsync(new SimulatorOptions { RequiredBearerToken = "UPSTREAM-SECRET" });
        var options = new ProxyOptions { Port = 0, LogFormat = LogFormat.Json };
        var loggerFactory = LoggingSetup.Create(debug: false, LogFormat.Json, sink);
        using (var proxy = new ProxyApplication(options, new StaticCredentials("UPSTREAM-SECRET", "qwen-oauth"), simulator.BaseUrl.ToString().TrimEnd('/'), loggerFactory))
        {
            await using var server = await ProxyServer.StartAsync(proxy, "127.0.0.1", 0, loggerFactory);
            using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl + "/") };
            await use(client);
        }
        loggerFactory.Dispose(); // flushes ZLogger's background queue into the stream

        var text = Encoding.UTF8.GetString(sink.ToArray());
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (text, lines.Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.TryGetProperty("status", out _)).ToList());
    }
}
