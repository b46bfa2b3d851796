using System.Net.Http.Headers;
using QwenFastProxy.Configuration;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Simulator;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>
/// Qwen's stutter (the first chunks carrying all the text so far) as the SDK sees it: repaired in both modes — on the
/// chat stream before translation, on the Messages events themselves when forwarded — and relayed as the upstream
/// sent it only with the repair switched off.
/// </summary>
public sealed class SdkStutterTests
{
    private static SimulatorOptions Stuttering() => new() { ChunkCount = 4, CumulativeChunks = 2 };

    [Theory]
    [InlineData(MessagesMode.Translate)]
    [InlineData(MessagesMode.Forward)]
    public async Task BothModesHandTheSdkTheRepairedText(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, simulator: Stuttering());
        using var client = proxy.Client();

        var message = await SdkCalls.SendAsync(client, SdkRequests.Text(), stream: true);

        Assert.Equal(proxy.Simulator.Options.ResponseText, MessageText.Text(message));
    }

    [Theory]
    [InlineData(MessagesMode.Translate)]
    [InlineData(MessagesMode.Forward)]
    public async Task BothModesRepairTheThinkingAsWellAsTheText(MessagesMode mode)
    {
        // Thinking needs a model outside the OAuth list, so translate mode is forced with an API key here.
        Func<ProxyOptions, ProxyOptions>? translateWithKey = mode == MessagesMode.Translate
            ? o => o with { ApiKey = ProxyHarness.UpstreamToken, AnthropicMode = AnthropicMode.Translate }
            : null;
        await using var proxy = await SdkProxy.StartAsync(mode, translateWithKey, Stuttering());
        using var client = proxy.Client();

        var message = await SdkCalls.SendAsync(client, SdkRequests.Thinking("qwen-plus"), stream: true);

        Assert.Equal(proxy.Simulator.Options.ReasoningText, MessageText.Thinking(message).Thinking);
        Assert.Equal(proxy.Simulator.Options.ResponseText, MessageText.Text(message));
    }

    [Fact]
    public async Task WithTheRepairOffForwardModeRelaysTheUpstreamsStreamByteForByteStutterIncluded()
    {
        await using var proxy = await SdkProxy.StartAsync(MessagesMode.Forward, o => o with { StutterFilter = false }, Stuttering());
        using var client = proxy.Client();

        var message = await SdkCalls.SendAsync(client, SdkRequests.Text(), stream: true);
        var relayed = client.Wire.Single.Body;

        // The same request straight to a fresh simulator of the same settings (its ids count from the same start).
        var upstreamBody = Assert.Single(proxy.Simulator.Requests.Snapshot()).Body;
        var direct = await DirectAnswerAsync(upstreamBody, Stuttering());
        Assert.Equal(direct, relayed);
        // What the SDK made of it: the upstream's stuttered text, repeats and all.
        var text = MessageText.Text(message);
        Assert.Equal(AnthropicEventSequence.Read(System.Text.Encoding.UTF8.GetString(direct)).Text, text);
        Assert.NotEqual(proxy.Simulator.Options.ResponseText, text);
        Assert.StartsWith(proxy.Simulator.Options.ResponseText[..10], text, StringComparison.Ordinal);
    }

    private static async Task<byte[]> DirectAnswerAsync(byte[] body, SimulatorOptions options)
    {
        options.RequiredBearerToken = ProxyHarness.UpstreamToken;
        await using var simulator = await QwenSimulator.StartAsync(options);
        using var http = new HttpClient { Timeout = SdkProxy.Bound };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(simulator.BaseUrl, "/apps/anthropic/v1/messages"))
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ProxyHarness.UpstreamToken);
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }
}
