using System.Net.Http.Headers;
using System.Text.Json;
using Anthropic;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>Messages answers in the usage ledger, under the model that went upstream, in both modes.</summary>
public sealed class SdkUsageTests
{
    private const string Key = "sk-usage-client";

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task AWholeAnswerAndAStreamAreCountedForTheUpstreamModel(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, o => o with { ProxyApiKeys = [Key] });
        // One connection: the proxy books a request before it reads the next one on the same connection.
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = new Uri(proxy.Root + "/"), Timeout = SdkProxy.Bound };
        using var client = proxy.Client(Key, http: http);
        // A Claude model name, as Claude Code sends it: nothing maps it, so DEFAULT_MODEL goes upstream.
        var request = SdkRequests.Text(model: "claude-sonnet-4-5");

        var whole = await client.Sdk.Messages.Create(request);
        var streamed = await client.Sdk.Messages.CreateStreaming(request).Aggregate();

        Assert.Equal(["text"], MessageText.BlockTypes(whole));
        Assert.Equal(SdkProxy.Model, UpstreamModel(proxy, 0));
        Assert.Equal(SdkProxy.Model, UpstreamModel(proxy, 1));
        Assert.True(streamed.Usage.OutputTokens > 0);
        using var usage = new HttpRequestMessage(HttpMethod.Get, "usage?group_by=model");
        usage.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var response = await http.SendAsync(usage);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var report = JsonDocument.Parse(text);
        var row = Assert.Single(report.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(SdkProxy.Model, row.GetProperty("model").GetString());
        Assert.Equal(2, row.GetProperty("requests").GetInt32());
        Assert.Equal(0, row.GetProperty("errors").GetInt32());
        // The same prompt twice, answered with the same text: twice the whole answer's counts.
        Assert.Equal(2 * (whole.Usage.InputTokens + (whole.Usage.CacheReadInputTokens ?? 0)), row.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(2 * whole.Usage.OutputTokens, row.GetProperty("completion_tokens").GetInt64());
        Assert.True(row.GetProperty("prompt_tokens").GetInt64() > 0);
        Assert.True(row.GetProperty("completion_tokens").GetInt64() > 0);
    }

    private static string? UpstreamModel(SdkProxy proxy, int index)
    {
        using var body = JsonDocument.Parse(proxy.Simulator.Requests.Snapshot()[index].Body);
        return body.RootElement.GetProperty("model").GetString();
    }
}
