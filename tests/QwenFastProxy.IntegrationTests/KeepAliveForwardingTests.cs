using System.Net;
using System.Text;
using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests;

/// <summary>
/// Many exchanges on one client connection, where the proxy refills one upstream message per connection: each
/// request upstream carries its own body, length and headers and nothing left over from the one before.
/// </summary>
public sealed class KeepAliveForwardingTests
{
    [Fact]
    public async Task EachRequestOnAKeptAliveConnectionGoesUpstreamWithOnlyItsOwnBodyAndHeaders()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { ApiKey = ProxyHarness.UpstreamToken });
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 })
        {
            BaseAddress = new Uri(harness.BaseUrl + "/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        var longChat = ChatBody(stream: false, new string('a', 5000));
        var shortStream = ChatBody(stream: true, "b");
        var messages = """{"model":"qwen3-coder-plus","max_tokens":64,"messages":[{"role":"user","content":"c"}]}""";
        var lastChat = ChatBody(stream: false, "dd");

        await PostAsync(client, "chat/completions", longChat);
        await PostAsync(client, "chat/completions", shortStream);
        await PostAsync(client, "messages", messages, ("anthropic-version", "2023-06-01"), ("x-api-key", "any"));
        await PostAsync(client, "chat/completions", lastChat);

        var seen = harness.Simulator.Requests.Snapshot();
        Assert.Equal(4, seen.Count);
        string[] bodies = [longChat, shortStream, messages, lastChat];
        string[] accepts = ["application/json", "text/event-stream", "application/json", "application/json"];
        for (var i = 0; i < seen.Count; i++)
        {
            Assert.Equal(bodies[i], Encoding.UTF8.GetString(seen[i].Body));
            Assert.Equal(Encoding.UTF8.GetByteCount(bodies[i]).ToString(), seen[i].Headers["Content-Length"]);
            Assert.Equal(accepts[i], seen[i].Headers["Accept"]); // one value: none left from the last request
            Assert.Equal("Bearer " + ProxyHarness.UpstreamToken, seen[i].Headers["Authorization"]);
            Assert.StartsWith("application/json", seen[i].Headers["Content-Type"]);
        }
        Assert.EndsWith("/v1/messages", seen[2].Path);
        Assert.All([seen[0], seen[1], seen[3]], r => Assert.EndsWith("/v1/chat/completions", r.Path));
        Assert.Equal("2023-06-01", seen[2].Headers["anthropic-version"]);
        Assert.False(seen[3].Headers.ContainsKey("anthropic-version"));
    }

    // A stream that asks for usage itself, so the proxy sends its body as written.
    private static string ChatBody(bool stream, string content) =>
        $$"""{"model":"qwen3-coder-plus",{{(stream ? "\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "\"stream\":false")}},"messages":[{"role":"user","content":"{{content}}"}]}""";

    private static async Task PostAsync(HttpClient client, string path, string json, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(); // the whole answer, so the next request can use the connection
    }
}
