using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Observability;

/// <summary>
/// Usage per client key and model through the real proxy: counted from whole answers and from streams (whose
/// usage chunk the proxy asked for and took out again), served by <c>/usage</c> and <c>/metrics</c>, and kept
/// in STATE_DIR's usage file across restarts.
/// </summary>
public sealed class UsageTests : IDisposable
{
    private const string KeyOne = "sk-client-one";
    private const string KeyTwo = "sk-client-two";

    private readonly string _stateDir = Directory.CreateTempSubdirectory("qfp-usage-").FullName;

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact]
    public async Task StreamsAndWholeAnswersAreCountedPerKeyAndModel()
    {
        await using var harness = await Start(new SimulatorOptions { CachedTokens = 3 });
        using var client = OneConnectionClient(harness);

        var whole = await ChatAsync(client, KeyOne, "qwen3-coder-plus", stream: false);
        await ChatAsync(client, KeyOne, "qwen3-coder-plus", stream: true);
        var flash = await ChatAsync(client, KeyTwo, "qwen3-coder-flash", stream: false);
        using (var failed = await SendChatAsync(client, KeyTwo, "qwen3-coder-flash", stream: false, fault: "arrearage"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        }

        using var report = await GetJsonAsync(client, KeyOne, "usage");
        var rows = report.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        var day = rows[0].GetProperty("day").GetString();
        Assert.Contains(day, new[] { Today(-1), Today(0) });
        var one = rows.Single(r => r.GetProperty("key").GetString() == Label(KeyOne));
        var two = rows.Single(r => r.GetProperty("key").GetString() == Label(KeyTwo));
        AssertRow(one, Label(KeyOne), "qwen3-coder-plus", requests: 2, errors: 0, prompt: 2 * whole.Prompt, completion: 2 * whole.Completion, cached: 6);
        AssertRow(two, Label(KeyTwo), "qwen3-coder-flash", requests: 2, errors: 1, prompt: flash.Prompt, completion: flash.Completion, cached: 3);
        Assert.Equal(4, report.RootElement.GetProperty("total").GetProperty("requests").GetInt32());
        Assert.DoesNotContain(KeyOne, report.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFileKeepsUsageAcrossARestartAndNeverHoldsAKey()
    {
        Usage first;
        await using (var harness = await Start(new SimulatorOptions()))
        {
            using var client = OneConnectionClient(harness);
            first = await ChatAsync(client, KeyOne, "qwen3-coder-plus", stream: false);
            await ChatAsync(client, KeyOne, "qwen3-coder-plus", stream: true);
        }

        var file = await File.ReadAllTextAsync(Path.Combine(_stateDir, "usage.csv"));
        var lines = file.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("time,key,model,status,error,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.All(lines.Skip(1), line => Assert.Contains($",{Label(KeyOne)},qwen3-coder-plus,200,0,{first.Prompt},{first.Completion},0,0", line, StringComparison.Ordinal));
        Assert.DoesNotContain(KeyOne, file, StringComparison.Ordinal);

        await using (var restarted = await Start(new SimulatorOptions()))
        {
            using var client = OneConnectionClient(restarted);
            await ChatAsync(client, KeyTwo, "qwen3-coder-plus", stream: false);

            using var byModel = await GetJsonAsync(client, KeyTwo, "usage?group_by=model");
            var row = Assert.Single(byModel.RootElement.GetProperty("data").EnumerateArray());
            Assert.False(row.TryGetProperty("key", out _));
            Assert.Equal("qwen3-coder-plus", row.GetProperty("model").GetString());
            Assert.Equal(3, row.GetProperty("requests").GetInt32());
            Assert.Equal(3 * first.Prompt, row.GetProperty("prompt_tokens").GetInt64());
        }
    }

    [Fact]
    public async Task CsvMetricsAndBadQueries()
    {
        await using var harness = await Start(new SimulatorOptions());
        using var client = OneConnectionClient(harness);
        var usage = await ChatAsync(client, KeyOne, "qwen3-coder-plus", stream: true, includeUsage: true);

        using (var csv = await SendAsync(client, KeyOne, HttpMethod.Get, "usage?format=csv&group_by=key"))
        {
            Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
            var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("day,key,requests,errors,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens,total_tokens", lines[0]);
            Assert.EndsWith($",{Label(KeyOne)},1,0,{usage.Prompt},{usage.Completion},0,0,{usage.Prompt + usage.Completion}", lines[1], StringComparison.Ordinal);
        }

        using (var accept = new HttpRequestMessage(HttpMethod.Get, "usage"))
        {
            accept.Headers.Add("x-api-key", KeyOne);
            accept.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
            using var answer = await client.SendAsync(accept);
            Assert.Equal("text/csv", answer.Content.Headers.ContentType?.MediaType);
        }

        using (var metrics = await SendAsync(client, KeyOne, HttpMethod.Get, "metrics"))
        {
            var text = await metrics.Content.ReadAsStringAsync();
            var labels = $"key=\"{Label(KeyOne)}\",model=\"qwen3-coder-plus\"";
            Assert.Contains($"qwenfastproxy_usage_requests_total{{{labels}}} 1\n", text, StringComparison.Ordinal);
            Assert.Contains($"qwenfastproxy_usage_tokens_total{{{labels},type=\"prompt\"}} {usage.Prompt}\n", text, StringComparison.Ordinal);
            Assert.Contains($"qwenfastproxy_usage_tokens_total{{{labels},type=\"completion\"}} {usage.Completion}\n", text, StringComparison.Ordinal);
        }

        using (var bad = await SendAsync(client, KeyOne, HttpMethod.Get, "usage?group_by=user"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            using var error = JsonDocument.Parse(await bad.Content.ReadAsStringAsync());
            Assert.Contains("group_by 'user'", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        using (var noKey = await client.GetAsync("usage"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        }
        using (var post = await SendAsync(client, KeyOne, HttpMethod.Post, "usage"))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        }
    }

    private Task<ProxyHarness> Start(SimulatorOptions simulator) =>
        ProxyHarness.StartAsync(o => o with { ProxyApiKeys = [KeyOne, KeyTwo], StateDir = _stateDir }, simulator);

    // One connection: the proxy finishes a request's bookkeeping before it reads the next request on that connection.
    private static HttpClient OneConnectionClient(ProxyHarness harness) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = new Uri($"http://{harness.EndPoint}/"), Timeout = TimeSpan.FromSeconds(30) };

    private static string Label(string key) => "key-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8];

    private static string Today(int days) => DateTime.UtcNow.AddDays(days).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static void AssertRow(JsonElement row, string key, string model, int requests, int errors, long prompt, long completion, long cached)
    {
        Assert.Equal(key, row.GetProperty("key").GetString());
        Assert.Equal(model, row.GetProperty("model").GetString());
        Assert.Equal(requests, row.GetProperty("requests").GetInt32());
        Assert.Equal(errors, row.GetProperty("errors").GetInt32());
        Assert.Equal(prompt, row.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(completion, row.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(cached, row.GetProperty("cached_tokens").GetInt64());
        Assert.Equal(0, row.GetProperty("reasoning_tokens").GetInt64());
        Assert.Equal(prompt + completion, row.GetProperty("total_tokens").GetInt64());
    }

    private readonly record struct Usage(long Prompt, long Completion);

    // The usage the client was shown: a whole answer's, or the usage chunk of a stream that asked for it; a stream
    // that did not ask shows none (the simulator answers the same prompt with the same counts either way).
    private static async Task<Usage> ChatAsync(HttpClient client, string key, string model, bool stream, bool includeUsage = false)
    {
        using var response = await SendChatAsync(client, key, model, stream, fault: null, includeUsage);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        if (!stream)
        {
            return Read(body);
        }
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        if (!includeUsage)
        {
            Assert.DoesNotContain("\"usage\"", body, StringComparison.Ordinal);
            return default;
        }
        var usageChunk = body.Split("\n\n").Single(frame => frame.Contains("\"usage\"", StringComparison.Ordinal));
        return Read(usageChunk["data: ".Length..]);

        static Usage Read(string json)
        {
            using var document = JsonDocument.Parse(json);
            var usage = document.RootElement.GetProperty("usage");
            return new Usage(usage.GetProperty("prompt_tokens").GetInt64(), usage.GetProperty("completion_tokens").GetInt64());
        }
    }

    private static Task<HttpResponseMessage> SendChatAsync(HttpClient client, string key, string model, bool stream, string? fault, bool includeUsage = false)
    {
        var options = includeUsage ? ""","stream_options":{"include_usage":true}""" : "";
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(
                $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}}{{options}},"messages":[{"role":"user","content":"Write a haiku about proxies."}]}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", key);
        if (fault is not null)
        {
            request.Headers.Add("X-Sim-Fault", fault);
        }
        return client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string key, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await client.SendAsync(request);
    }

    private static async Task<JsonDocument> GetJsonAsync(HttpClient client, string key, string path)
    {
        using var response = await SendAsync(client, key, HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
