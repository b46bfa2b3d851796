using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Resilience;

/// <summary>Chat requests through the proxy that steer the simulator's faults (the harness forwards the headers).</summary>
internal static class ResilienceClient
{
    public const string TextRequest = """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"Hi"}]}""";
    public const string StreamRequest = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

    /// <summary>Every wait of these tests is bounded by this.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public static HttpClient Create(ProxyHarness harness) => new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero })
    {
        BaseAddress = new Uri(harness.BaseUrl + "/"),
        Timeout = Bound,
    };

    /// <summary>A fresh id per call, so attempts are counted per logical request.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string body, string id, string? fault = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(FaultHeaders.RequestId, id);
        if (fault is not null)
        {
            request.Headers.TryAddWithoutValidation(FaultHeaders.Fault, fault);
        }
        using var timeout = new CancellationTokenSource(Bound);
        return await client.SendAsync(request, timeout.Token);
    }

    /// <summary>The OpenAI error object of a JSON error body.</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("error").Clone();
    }

    /// <summary>The SSE frames of a stream body, trimmed.</summary>
    public static string[] Frames(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(f => f.Trim()).Where(f => f.Length > 0).ToArray();

    public static MediaTypeHeaderValue? ContentType(HttpResponseMessage response) => response.Content.Headers.ContentType;
}
