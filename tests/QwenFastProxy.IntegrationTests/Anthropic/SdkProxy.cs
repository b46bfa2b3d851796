using System.Text;
using Anthropic;
using Anthropic.Core;
using QwenFastProxy.Configuration;
using QwenFastProxy.IntegrationTests.Infrastructure;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>
/// The proxy in one <see cref="MessagesMode"/> in front of the simulator, and official Anthropic SDK clients pointed at
/// its root (the SDK adds <c>/v1/messages</c> itself), each with a <see cref="WireRecorder"/> in its pipeline.
/// </summary>
internal sealed class SdkProxy : IAsyncDisposable
{
    public const string Model = "qwen3-coder-plus";

    /// <summary>What a client presents when the proxy asks for no key: any key will do, and none may go upstream.</summary>
    public const string ClientKey = "sk-ant-client-key-never-forwarded";

    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private SdkProxy(ProxyHarness harness, MessagesMode mode)
    {
        Harness = harness;
        Mode = mode;
    }

    public ProxyHarness Harness { get; }

    public MessagesMode Mode { get; }

    public QwenSimulator Simulator => Harness.Simulator;

    /// <summary>The proxy's root, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Root => $"http://{Harness.EndPoint}";

    /// <summary>
    /// Forward mode is what an API key upstream gets by default, translate mode what an OAuth login gets; the
    /// harness's other options and <paramref name="configure"/>'s changes apply on top.
    /// </summary>
    public static async Task<SdkProxy> StartAsync(MessagesMode mode, Func<ProxyOptions, ProxyOptions>? configure = null, SimulatorOptions? simulator = null)
    {
        var harness = await ProxyHarness.StartAsync(
            o =>
            {
                var moded = mode == MessagesMode.Forward ? o with { ApiKey = ProxyHarness.UpstreamToken } : o;
                return configure?.Invoke(moded) ?? moded;
            },
            simulator);
        var proxy = new SdkProxy(harness, mode);
        Assert.Equal(mode == MessagesMode.Forward ? AnthropicMode.Forward : AnthropicMode.Translate, harness.Proxy.Options.EffectiveAnthropicMode);
        return proxy;
    }

    /// <summary>
    /// A new SDK client. <paramref name="fault"/> goes as <c>X-Sim-Fault</c> (the harness forwards it to the simulator);
    /// the SDK's own retries are off so that one call is one exchange and the proxy's retries are the only ones.
    /// </summary>
    public SdkClient Client(string key = ClientKey, string? fault = null, IReadOnlyDictionary<string, string>? headers = null, HttpClient? http = null)
    {
        var extra = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        if (fault is not null)
        {
            extra["X-Sim-Fault"] = fault;
        }
        var wire = new WireRecorder();
        var options = new ClientOptions
        {
            BaseUrl = Root,
            ApiKey = key,
            MaxRetries = 0,
            Timeout = Bound,
            Handlers = [wire],
            ExtraHeaders = extra,
        };
        if (http is not null)
        {
            options = options with { HttpClient = http };
        }
        return new SdkClient(new AnthropicClient(options), wire);
    }

    /// <summary>A plain HTTP client on the proxy's root, for what is checked below the SDK.</summary>
    public HttpClient Http() => new() { BaseAddress = new Uri(Root + "/"), Timeout = Bound };

    /// <summary>
    /// Posts <paramref name="json"/> as it is, with the client key as <c>x-api-key</c>, and reads the whole answer: the
    /// transcript of a stream past the point where the SDK stops reading (at an error event).
    /// </summary>
    public async Task<(System.Net.HttpStatusCode Status, string Body)> PostRawAsync(string path, string json, string key = ClientKey, string? fault = null)
    {
        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        if (fault is not null)
        {
            request.Headers.Add("X-Sim-Fault", fault);
        }
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync() => await Harness.DisposeAsync();
}
