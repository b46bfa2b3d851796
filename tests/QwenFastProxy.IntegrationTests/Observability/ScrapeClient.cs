using System.Text.Json;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.IntegrationTests.Observability;

/// <summary>Reads <c>/metrics</c> and <c>/status.json</c>, and waits (bounded) for figures that are counted after a response went out.</summary>
internal static class ScrapeClient
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    public static async Task<Dictionary<string, double>> MetricsAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    public static Dictionary<string, double> Parse(string text) => PrometheusText.Parse(text);

    public static async Task<JsonElement> StatusAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/status.json");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Scrapes until <paramref name="done"/> holds. The access log (which counts) runs just after a response was written,
    /// so a client can see its answer a moment before the figure moves; this waits for that, never longer than <see cref="Bound"/>.
    /// </summary>
    public static async Task<Dictionary<string, double>> MetricsWhenAsync(HttpClient client, Func<Dictionary<string, double>, bool> done)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            var samples = await MetricsAsync(client);
            if (done(samples) || DateTime.UtcNow > deadline)
            {
                return samples;
            }
            await Task.Delay(20);
        }
    }

    public static double Requests(Dictionary<string, double> samples, string route, string statusClass) =>
        samples[$"qwenfastproxy_requests_total{{route=\"{route}\",status_class=\"{statusClass}\"}}"];
}
