using QwenFastProxy.Configuration;

namespace QwenFastProxy.Tests.Configuration;

public class ProxyOptionsTests
{
    private static readonly string[] AllVariables =
    [
        "PORT", "DEBUG", "MAX_IDLE_CONNS", "MAX_IDLE_CONNS_PER_HOST", "IDLE_CONN_TIMEOUT_SECONDS", "REQUEST_TIMEOUT_SECONDS",
        "STREAMING_TIMEOUT_SECONDS", "READ_TIMEOUT_SECONDS", "STREAMING_MAX_ERRORS", "STREAMING_BUFFER_SIZE", "HOST",
        "QWEN_CREDS_PATH", "STATE_DIR", "QWEN_OAUTH_BASE_URL", "QWEN_API_BASE_URL", "QWEN_API_KEY", "QWEN_PLAN", "QWEN_ANTHROPIC_BASE_URL", "ANTHROPIC_MODE", "QWEN_USER_AGENT", "PROXY_API_KEYS", "DEFAULT_MODEL", "MODEL_ALIASES",
        "CIRCUIT_BREAKER_FAILURES", "CIRCUIT_BREAKER_RESET_SECONDS", "RETRY_MAX_ATTEMPTS", "STUTTER_FILTER", "REQUEST_SHAPING", "LOG_FORMAT",
        "MAX_REQUEST_BODY_BYTES", "MAX_REQUEST_HEADER_BYTES",
    ];

    private static Dictionary<string, string> Described(ProxyOptions options) =>
        options.Describe().ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);

    // The start-up log prints the settings in this order: a change to it has to show up here, not only in the log.
    [Fact]
    public void DescribeListsEveryVariableOnceInItsFixedOrder()
    {
        Assert.Equal(AllVariables, new ProxyOptions().Describe().Select(pair => pair.Key));
    }

    [Fact]
    public void DescribeDefaults()
    {
        Dictionary<string, string> d = Described(new ProxyOptions { CredsPath = "/c.json" });
        Assert.Equal("8143", d["PORT"]);
        Assert.Equal("false", d["DEBUG"]);
        Assert.Equal("180", d["IDLE_CONN_TIMEOUT_SECONDS"]);
        Assert.Equal("/c.json", d["QWEN_CREDS_PATH"]);
        Assert.Equal("unset", d["QWEN_API_BASE_URL"]);
        Assert.Equal("unset", d["QWEN_API_KEY"]);
        Assert.Equal("unset", d["PROXY_API_KEYS"]);
        Assert.Equal("on", d["STUTTER_FILTER"]);
        Assert.Equal("text", d["LOG_FORMAT"]);
    }

    [Fact]
    public void DescribeNeverShowsSecrets()
    {
        var options = new ProxyOptions
        {
            ApiKey = "sk-very-secret-upstream",
            ProxyApiKeys = ["client-key-one", "client-key-two"],
            ReadTimeout = TimeSpan.FromMilliseconds(1500),
            LogFormat = LogFormat.Json,
        };

        Dictionary<string, string> d = Described(options);
        Assert.Equal("set", d["QWEN_API_KEY"]);
        Assert.Equal("set (2 keys)", d["PROXY_API_KEYS"]);
        Assert.Equal("1.5", d["READ_TIMEOUT_SECONDS"]);
        Assert.Equal("json", d["LOG_FORMAT"]);

        string all = string.Join("\n", options.Describe().Select(pair => pair.Key + "=" + pair.Value));
        Assert.DoesNotContain("sk-very-secret-upstream", all, StringComparison.Ordinal);
        Assert.DoesNotContain("client-key", all, StringComparison.Ordinal);
    }

    [Fact]
    public void DescribeSingleProxyKey()
    {
        Assert.Equal("set (1 key)", Described(new ProxyOptions { ProxyApiKeys = ["k"] })["PROXY_API_KEYS"]);
    }

    [Fact]
    public void ToStringNeverShowsSecrets()
    {
        string text = new ProxyOptions { ApiKey = "sk-very-secret-upstream", ProxyApiKeys = ["client-key-one"], Demo = true }.ToString();
        Assert.DoesNotContain("sk-very-secret-upstream", text, StringComparison.Ordinal);
        Assert.DoesNotContain("client-key-one", text, StringComparison.Ordinal);
        Assert.Contains("PORT = 8143", text, StringComparison.Ordinal);
        Assert.Contains("Demo = true", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyModeFollowsApiKey()
    {
        Assert.False(new ProxyOptions().ApiKeyMode);
        Assert.True(new ProxyOptions { ApiKey = "k" }.ApiKeyMode);
    }

    [Fact]
    public void DefaultCredsPathIsUnderTheHomeFolder()
    {
        string expected = Path.Combine(".qwen", "qwenproxy_creds.json");
        Assert.EndsWith(expected, new ProxyOptions().CredsPath, StringComparison.Ordinal);
    }
}
