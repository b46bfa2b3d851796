using System.ClientModel;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Simulator;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.IntegrationTests.Streaming;

/// <summary>
/// The labelled corpus through the real proxy: the simulator replays each stream frame by frame over
/// loopback, the proxy repairs it, and clients (raw HTTP and the OpenAI .NET SDK) assemble the text.
/// </summary>
public sealed class StutterRepairThroughProxyTests
{
    // Asks for usage itself, so every scripted frame (usage chunks included) is the client's to see.
    private const string StreamRequest = """{"model":"qwen3-coder-plus","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"go"}]}""";

    public static TheoryData<string> Names() => StutterCorpus.Names();

    [Theory]
    [MemberData(nameof(Names))]
    public async Task EveryCorpusStreamArrivesExactlyOverHttp(string name)
    {
        var corpusCase = StutterCorpus.Get(name);
        await using var harness = await ProxyHarness.StartAsync(simulatorOptions: new SimulatorOptions { ScriptedStream = corpusCase.Payloads });
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", new StringContent(StreamRequest, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        var transcript = ClientTranscript.Read(body);

        foreach (var (key, expected) in corpusCase.Expected)
        {
            Assert.Equal(expected, transcript.Text(key));
        }
        Assert.True(transcript.SawDone);
        Assert.Empty(transcript.Errors);
        // Every other field, and the order of frames, as the upstream sent them.
        Assert.Equal(corpusCase.Payloads.Select(ClientTranscript.ShapeOf), ClientTranscript.Payloads(body).Select(ClientTranscript.ShapeOf));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task EveryCorpusStreamArrivesExactlyInTheOpenAiSdk(string name)
    {
        var corpusCase = StutterCorpus.Get(name);
        await using var harness = await ProxyHarness.StartAsync(simulatorOptions: new SimulatorOptions { ScriptedStream = corpusCase.Payloads });
        var chat = new ChatClient("qwen3-coder-plus", new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = harness.BaseUrl });

        var content = new Dictionary<int, StringBuilder>();
        var tools = new Dictionary<int, StringBuilder>();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("go")]))
        {
            // The SDK folds choice 0 only; multi-choice cases are covered over HTTP above.
            foreach (var part in update.ContentUpdate)
            {
                Builder(content, 0).Append(part.Text);
            }
            foreach (var tool in update.ToolCallUpdates)
            {
                Builder(tools, 0).Append(tool.FunctionArgumentsUpdate?.ToString());
            }
        }

        if (corpusCase.Expected.TryGetValue("0/content", out var expectedContent) && !corpusCase.Expected.ContainsKey("1/content"))
        {
            Assert.Equal(expectedContent, Builder(content, 0).ToString());
        }
        if (corpusCase.Expected.TryGetValue("0/tool", out var expectedTool))
        {
            Assert.Equal(expectedTool, Builder(tools, 0).ToString());
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(int.MaxValue)]
    public async Task TheSimulatorsStutterIsRepairedForTheSdk(int cumulativeChunks)
    {
        await using var harness = await ProxyHarness.StartAsync(simulatorOptions: new SimulatorOptions { CumulativeChunks = cumulativeChunks, ChunkCount = 12 });

        var text = await StreamTextAsync(harness);

        Assert.Equal(SimulatorOptions.DefaultResponseText, text);
    }

    [Fact]
    public async Task WithTheFilterOffTheStutterReachesTheClient()
    {
        await using var harness = await ProxyHarness.StartAsync(o => o with { StutterFilter = false }, new SimulatorOptions { CumulativeChunks = 3, ChunkCount = 12 });

        var text = await StreamTextAsync(harness);

        Assert.NotEqual(SimulatorOptions.DefaultResponseText, text);
        Assert.True(text.Length > SimulatorOptions.DefaultResponseText.Length);
    }

    [Fact]
    public async Task TooManyMalformedFramesEndTheStreamWithAnError()
    {
        var script = new[] { StutterCorpus.Chunk(content: "Hi"), "{broken", "{also broken", StutterCorpus.Chunk(content: " never sent") };
        await using var harness = await ProxyHarness.StartAsync(o => o with { StreamingMaxErrors = 1 }, new SimulatorOptions { ScriptedStream = script });
        using var client = harness.CreateHttpClient();

        using var response = await client.PostAsync("chat/completions", new StringContent(StreamRequest, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        var frames = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", frames[^1]);
        Assert.Contains("upstream_malformed_stream", frames[^2]);
        Assert.DoesNotContain("never sent", body);
        Assert.Contains("data: {broken", body); // tolerated ones pass through as sent
    }

    [Fact]
    public async Task AHeldChunkGoesOutWhenTheUpstreamFallsSilent()
    {
        // "66" after "6" is ambiguous and is held; the upstream then says nothing until the test lets
        // it. The client must still get "66" — by the hold's age bound, not by the next frame.
        var released = new SemaphoreSlim(0);
        var script = new[] { StutterCorpus.Chunk(content: "6"), StutterCorpus.Chunk(content: "66"), StutterCorpus.Chunk(content: "!") };
        var options = new SimulatorOptions
        {
            ScriptedStream = script,
            ScriptGate = (index, aborted) => index < 2 ? Task.CompletedTask : released.WaitAsync(aborted),
        };
        await using var harness = await ProxyHarness.StartAsync(simulatorOptions: options);
        await using var connection = await RawHttpConnection.ConnectAsync(harness.EndPoint);
        await connection.SendAsync($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {StreamRequest.Length}\r\n\r\n{StreamRequest}");

        var received = await connection.ReadBodyUntilAsync("\"66\"");
        released.Release();

        Assert.Contains("\"content\":\"6\"", received);
        Assert.Contains("\"content\":\"66\"", received);
    }

    private static async Task<string> StreamTextAsync(ProxyHarness harness)
    {
        var chat = new ChatClient("qwen3-coder-plus", new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = harness.BaseUrl });
        var text = new StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("go")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }
        return text.ToString();
    }

    private static StringBuilder Builder(Dictionary<int, StringBuilder> builders, int index) =>
        builders.TryGetValue(index, out var b) ? b : builders[index] = new StringBuilder();
}
