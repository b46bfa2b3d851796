using QwenFastProxy.Configuration;

namespace QwenFastProxy.Tests.Configuration;

public class OptionsLoaderTests
{
    private const string Home = "/home/tester";

    private static readonly string[] ThreeKeys = ["a", "b", "c"];
    private static readonly string[] TwoKeys = ["k1", "k2"];

    private static Func<string, string?> Env(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        map.TryAdd("HOME", Home);
        return name => map.TryGetValue(name, out string? value) ? value : null;
    }

    private static ProxyOptions Load(OptionOverrides? overrides, params (string, string)[] variables)
    {
        Assert.True(OptionsLoader.TryLoad(Env(variables), overrides ?? OptionOverrides.None, out ProxyOptions? options, out string? error), error);
        Assert.Null(error);
        return options!;
    }

    private static ProxyOptions Load(params (string, string)[] variables) => Load(null, variables);

    private static string Fails(OptionOverrides? overrides, params (string, string)[] variables)
    {
        Assert.False(OptionsLoader.TryLoad(Env(variables), overrides ?? OptionOverrides.None, out ProxyOptions? options, out string? error));
        Assert.Null(options);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error!;
    }

    private static string Fails(params (string, string)[] variables) => Fails(null, variables);

    [Fact]
    public void EmptyEnvironmentGivesEveryDefault()
    {
        ProxyOptions o = Load();
        Assert.Equal("127.0.0.1", o.Host);
        Assert.Equal(8143, o.Port);
        Assert.False(o.Debug);
        Assert.Equal(50, o.MaxIdleConns);
        Assert.Equal(50, o.MaxIdleConnsPerHost);
        Assert.Equal(TimeSpan.FromSeconds(180), o.IdleConnTimeout);
        Assert.Equal(TimeSpan.FromSeconds(300), o.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(900), o.StreamingTimeout);
        Assert.Equal(TimeSpan.FromSeconds(45), o.ReadTimeout);
        Assert.Equal(10, o.StreamingMaxErrors);
        Assert.Equal(4096, o.StreamingBufferSize);
        Assert.Equal(Path.Combine(Home, ".qwen", "qwenproxy_creds.json"), o.CredsPath);
        Assert.Equal("https://chat.qwen.ai", o.OAuthBaseUrl);
        Assert.Null(o.ApiBaseUrl);
        Assert.Null(o.ApiKey);
        Assert.False(o.ApiKeyMode);
        Assert.Empty(o.ProxyApiKeys);
        Assert.Equal("qwen3-coder-plus", o.DefaultModel);
        Assert.Equal(10, o.CircuitBreakerFailures);
        Assert.Equal(TimeSpan.FromSeconds(30), o.CircuitBreakerReset);
        Assert.Equal(3, o.RetryMaxAttempts);
        Assert.True(o.StutterFilter);
        Assert.Equal(LogFormat.Text, o.LogFormat);
        Assert.Equal(67_108_864, o.MaxRequestBodyBytes);
        Assert.Equal(32_768, o.MaxRequestHeaderBytes);
        Assert.False(o.Demo);
        Assert.Equal(TimeSpan.FromSeconds(30), o.HeadersTimeout);
        Assert.Equal(TimeSpan.FromSeconds(130), o.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), o.ShutdownTimeout);
    }

    [Fact]
    public void LoadedDefaultsEqualTheRecordsOwnDefaults()
    {
        Assert.Equal(new ProxyOptions { CredsPath = Load().CredsPath, StateDir = Load().StateDir }, Load());
    }

    [Fact]
    public void TheStateFolderIsInTheHomeFolderUnlessGivenAndADemoKeepsNoneOnDisk()
    {
        Assert.Equal(Path.Combine(Home, ".qwenfastproxy"), Load().StateDir);
        Assert.Equal(Path.GetFullPath(Path.Combine(Home, "state")), Load(("STATE_DIR", "~/state")).StateDir);
        Assert.Equal(Path.GetFullPath("/var/lib/qfp"), Load(("STATE_DIR", "/var/lib/qfp")).StateDir);
        Assert.Null(Load(new OptionOverrides(Demo: true, Debug: false, Port: null, Host: null)).StateDir);
        Assert.Equal(Path.GetFullPath("/var/lib/qfp"), Load(new OptionOverrides(Demo: true, Debug: false, Port: null, Host: null), ("STATE_DIR", "/var/lib/qfp")).StateDir);
        Assert.Contains("STATE_DIR", Fails(null, ("STATE_DIR", "a\0b")), StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyAndBlankValuesCountAsUnset()
    {
        ProxyOptions o = Load(("PORT", ""), ("DEBUG", ""), ("HOST", "  "), ("QWEN_API_KEY", ""), ("PROXY_API_KEYS", ""), ("LOG_FORMAT", " "));
        Assert.Equal(8143, o.Port);
        Assert.Equal("127.0.0.1", o.Host);
        Assert.Null(o.ApiKey);
        Assert.Empty(o.ProxyApiKeys);
        Assert.Equal(LogFormat.Text, o.LogFormat);
    }

    [Fact]
    public void EveryVariableIsParsed()
    {
        ProxyOptions o = Load(
            ("PORT", "9000"),
            ("DEBUG", "true"),
            ("MAX_IDLE_CONNS", "7"),
            ("MAX_IDLE_CONNS_PER_HOST", "3"),
            ("IDLE_CONN_TIMEOUT_SECONDS", "11"),
            ("REQUEST_TIMEOUT_SECONDS", "12"),
            ("STREAMING_TIMEOUT_SECONDS", "13"),
            ("READ_TIMEOUT_SECONDS", "14"),
            ("STREAMING_MAX_ERRORS", "0"),
            ("STREAMING_BUFFER_SIZE", "8192"),
            ("HOST", "0.0.0.0"),
            ("QWEN_CREDS_PATH", "/tmp/creds.json"),
            ("QWEN_OAUTH_BASE_URL", "http://127.0.0.1:5000/"),
            ("QWEN_API_BASE_URL", "portal.qwen.ai"),
            ("QWEN_API_KEY", "sk-secret"),
            ("PROXY_API_KEYS", " a , b,,c "),
            ("DEFAULT_MODEL", "qwen3-coder-flash"),
            ("CIRCUIT_BREAKER_FAILURES", "2"),
            ("CIRCUIT_BREAKER_RESET_SECONDS", "5"),
            ("RETRY_MAX_ATTEMPTS", "10"),
            ("STUTTER_FILTER", "OFF"),
            ("LOG_FORMAT", "JSON"),
            ("MAX_REQUEST_BODY_BYTES", "1024"),
            ("MAX_REQUEST_HEADER_BYTES", "1024"));

        Assert.Equal(9000, o.Port);
        Assert.True(o.Debug);
        Assert.Equal(7, o.MaxIdleConns);
        Assert.Equal(3, o.MaxIdleConnsPerHost);
        Assert.Equal(TimeSpan.FromSeconds(11), o.IdleConnTimeout);
        Assert.Equal(TimeSpan.FromSeconds(12), o.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(13), o.StreamingTimeout);
        Assert.Equal(TimeSpan.FromSeconds(14), o.ReadTimeout);
        Assert.Equal(0, o.StreamingMaxErrors);
        Assert.Equal(8192, o.StreamingBufferSize);
        Assert.Equal("0.0.0.0", o.Host);
        Assert.Equal(Path.GetFullPath("/tmp/creds.json"), o.CredsPath);
        Assert.Equal("http://127.0.0.1:5000", o.OAuthBaseUrl);
        Assert.Equal("https://portal.qwen.ai/v1", o.ApiBaseUrl);
        Assert.Equal("sk-secret", o.ApiKey);
        Assert.True(o.ApiKeyMode);
        Assert.Equal(ThreeKeys, o.ProxyApiKeys);
        Assert.Equal("qwen3-coder-flash", o.DefaultModel);
        Assert.Equal(2, o.CircuitBreakerFailures);
        Assert.Equal(TimeSpan.FromSeconds(5), o.CircuitBreakerReset);
        Assert.Equal(10, o.RetryMaxAttempts);
        Assert.False(o.StutterFilter);
        Assert.Equal(LogFormat.Json, o.LogFormat);
        Assert.Equal(1024, o.MaxRequestBodyBytes);
        Assert.Equal(1024, o.MaxRequestHeaderBytes);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("On", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("No", false)]
    [InlineData("off", false)]
    [InlineData(" true ", true)]
    public void DebugAcceptsBooleanWords(string value, bool expected)
    {
        Assert.Equal(expected, Load(("DEBUG", value)).Debug);
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("ON", true)]
    [InlineData("true", true)]
    [InlineData("off", false)]
    [InlineData("Off", false)]
    [InlineData("false", false)]
    public void StutterFilterAcceptsOnOff(string value, bool expected)
    {
        Assert.Equal(expected, Load(("STUTTER_FILTER", value)).StutterFilter);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("65535", 65535)]
    [InlineData(" 80 ", 80)]
    public void PortRange(string value, int expected)
    {
        Assert.Equal(expected, Load(("PORT", value)).Port);
    }

    [Theory]
    [InlineData("localhost", "localhost")]
    [InlineData("LOCALHOST", "localhost")]
    [InlineData("::", "::")]
    [InlineData("0:0:0:0:0:0:0:1", "::1")]
    [InlineData("192.168.1.20", "192.168.1.20")]
    public void HostAcceptsAddressesAndLocalhost(string value, string expected)
    {
        Assert.Equal(expected, Load(("HOST", value)).Host);
    }

    [Fact]
    public void CredsPathExpandsTilde()
    {
        Assert.Equal(Path.GetFullPath(Path.Combine(Home, "x", "c.json")), Load(("QWEN_CREDS_PATH", "~/x/c.json")).CredsPath);
    }

    [Fact]
    public void ProxyApiKeysDuplicatesAreDropped()
    {
        Assert.Equal(TwoKeys, Load(("PROXY_API_KEYS", "k1,k2,k1")).ProxyApiKeys);
    }

    [Theory]
    [InlineData("PORT", "abc", "invalid PORT=\"abc\": expected an integer from 0 to 65535")]
    [InlineData("PORT", "-1", "invalid PORT=\"-1\": expected an integer from 0 to 65535")]
    [InlineData("PORT", "65536", "invalid PORT=\"65536\": expected an integer from 0 to 65535")]
    [InlineData("PORT", "80.5", "invalid PORT=\"80.5\": expected an integer from 0 to 65535")]
    [InlineData("DEBUG", "maybe", "invalid DEBUG=\"maybe\": expected true or false (also 1/0, yes/no, on/off)")]
    [InlineData("MAX_IDLE_CONNS", "0", "invalid MAX_IDLE_CONNS=\"0\": expected an integer of at least 1")]
    [InlineData("MAX_IDLE_CONNS", "x", "invalid MAX_IDLE_CONNS=\"x\": expected an integer of at least 1")]
    [InlineData("MAX_IDLE_CONNS_PER_HOST", "0", "invalid MAX_IDLE_CONNS_PER_HOST=\"0\": expected an integer of at least 1")]
    [InlineData("MAX_IDLE_CONNS_PER_HOST", "3000000000", "invalid MAX_IDLE_CONNS_PER_HOST=\"3000000000\": expected an integer of at least 1")]
    [InlineData("IDLE_CONN_TIMEOUT_SECONDS", "0", "invalid IDLE_CONN_TIMEOUT_SECONDS=\"0\": expected a whole number of seconds from 1 to 86400")]
    [InlineData("REQUEST_TIMEOUT_SECONDS", "1.5", "invalid REQUEST_TIMEOUT_SECONDS=\"1.5\": expected a whole number of seconds from 1 to 86400")]
    [InlineData("STREAMING_TIMEOUT_SECONDS", "86401", "invalid STREAMING_TIMEOUT_SECONDS=\"86401\": expected a whole number of seconds from 1 to 86400")]
    [InlineData("READ_TIMEOUT_SECONDS", "-5", "invalid READ_TIMEOUT_SECONDS=\"-5\": expected a whole number of seconds from 1 to 86400")]
    [InlineData("STREAMING_MAX_ERRORS", "-1", "invalid STREAMING_MAX_ERRORS=\"-1\": expected an integer of at least 0")]
    [InlineData("STREAMING_BUFFER_SIZE", "255", "invalid STREAMING_BUFFER_SIZE=\"255\": expected an integer from 256 to 1048576")]
    [InlineData("STREAMING_BUFFER_SIZE", "1048577", "invalid STREAMING_BUFFER_SIZE=\"1048577\": expected an integer from 256 to 1048576")]
    [InlineData("HOST", "example.com", "invalid HOST=\"example.com\": expected an IP address (such as 127.0.0.1, 0.0.0.0 or ::1) or localhost")]
    [InlineData("HOST", "127.1", "invalid HOST=\"127.1\": expected an IP address (such as 127.0.0.1, 0.0.0.0 or ::1) or localhost")]
    [InlineData("QWEN_CREDS_PATH", "/tmp/dir/", "invalid QWEN_CREDS_PATH=\"/tmp/dir/\": expected a file path (a leading ~ means the home folder)")]
    [InlineData("QWEN_OAUTH_BASE_URL", "chat.qwen.ai", "invalid QWEN_OAUTH_BASE_URL=\"chat.qwen.ai\": expected an absolute http:// or https:// URL such as https://chat.qwen.ai")]
    [InlineData("QWEN_OAUTH_BASE_URL", "ftp://chat.qwen.ai", "invalid QWEN_OAUTH_BASE_URL=\"ftp://chat.qwen.ai\": expected an absolute http:// or https:// URL such as https://chat.qwen.ai")]
    [InlineData("QWEN_API_BASE_URL", "ftp://x", "invalid QWEN_API_BASE_URL=\"ftp://x\": expected an http:// or https:// URL or a host name, such as https://portal.qwen.ai/v1 or portal.qwen.ai")]
    [InlineData("DEFAULT_MODEL", "qwen coder", "invalid DEFAULT_MODEL=\"qwen coder\": expected a model name without spaces, such as qwen3-coder-plus")]
    [InlineData("CIRCUIT_BREAKER_FAILURES", "0", "invalid CIRCUIT_BREAKER_FAILURES=\"0\": expected an integer from 1 to 4194303")]
    [InlineData("CIRCUIT_BREAKER_FAILURES", "5000000", "invalid CIRCUIT_BREAKER_FAILURES=\"5000000\": expected an integer from 1 to 4194303")]
    [InlineData("CIRCUIT_BREAKER_RESET_SECONDS", "0", "invalid CIRCUIT_BREAKER_RESET_SECONDS=\"0\": expected a whole number of seconds from 1 to 86400")]
    [InlineData("RETRY_MAX_ATTEMPTS", "11", "invalid RETRY_MAX_ATTEMPTS=\"11\": expected an integer from 0 to 10")]
    [InlineData("RETRY_MAX_ATTEMPTS", "-1", "invalid RETRY_MAX_ATTEMPTS=\"-1\": expected an integer from 0 to 10")]
    [InlineData("STUTTER_FILTER", "yes", "invalid STUTTER_FILTER=\"yes\": expected on or off (also true/false)")]
    [InlineData("LOG_FORMAT", "xml", "invalid LOG_FORMAT=\"xml\": expected text or json")]
    [InlineData("MAX_REQUEST_BODY_BYTES", "0", "invalid MAX_REQUEST_BODY_BYTES=\"0\": expected an integer from 1 to 2147483591")]
    [InlineData("MAX_REQUEST_BODY_BYTES", "3000000000", "invalid MAX_REQUEST_BODY_BYTES=\"3000000000\": expected an integer from 1 to 2147483591")]
    [InlineData("MAX_REQUEST_BODY_BYTES", "10MB", "invalid MAX_REQUEST_BODY_BYTES=\"10MB\": expected an integer from 1 to 2147483591")]
    [InlineData("MAX_REQUEST_HEADER_BYTES", "1023", "invalid MAX_REQUEST_HEADER_BYTES=\"1023\": expected an integer from 1024 to 1048576")]
    [InlineData("MAX_REQUEST_HEADER_BYTES", "1048577", "invalid MAX_REQUEST_HEADER_BYTES=\"1048577\": expected an integer from 1024 to 1048576")]
    public void InvalidValueIsNamedWithAcceptedValues(string name, string value, string expected)
    {
        Assert.Equal(expected, Fails((name, value)));
    }

    [Theory]
    [InlineData(",")]
    [InlineData(" , ,")]
    [InlineData("   ")]
    public void ProxyApiKeysAllEmptyIsAnError(string value)
    {
        string error = Fails(("PROXY_API_KEYS", value));
        Assert.StartsWith("invalid PROXY_API_KEYS", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretErrorsNeverShowTheValue()
    {
        string apiKeyError = Fails(("QWEN_API_KEY", "sk-top secret"));
        Assert.StartsWith("invalid QWEN_API_KEY", apiKeyError, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-top", apiKeyError, StringComparison.Ordinal);

        string proxyKeysError = Fails(("PROXY_API_KEYS", "good,bad key"));
        Assert.StartsWith("invalid PROXY_API_KEYS", proxyKeysError, StringComparison.Ordinal);
        Assert.DoesNotContain("bad", proxyKeysError, StringComparison.Ordinal);
        Assert.DoesNotContain("good", proxyKeysError, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryBadValueIsReported()
    {
        string error = Fails(("PORT", "x"), ("LOG_FORMAT", "xml"), ("RETRY_MAX_ATTEMPTS", "99"));
        Assert.Contains("PORT", error, StringComparison.Ordinal);
        Assert.Contains("LOG_FORMAT", error, StringComparison.Ordinal);
        Assert.Contains("RETRY_MAX_ATTEMPTS", error, StringComparison.Ordinal);
        Assert.Equal(3, error.Split(Environment.NewLine).Length);
    }

    [Fact]
    public void BadValueEchoEscapesControlCharactersAndIsCut()
    {
        Assert.Equal("invalid LOG_FORMAT=\"a\\nb\": expected text or json", Fails(("LOG_FORMAT", "a\nb")));
        string error = Fails(("LOG_FORMAT", new string('x', 500)));
        Assert.True(error.Length < 250, error);
        Assert.Contains("...", error, StringComparison.Ordinal);
    }

    [Fact]
    public void FlagsWinOverEnvironment()
    {
        ProxyOptions o = Load(
            new OptionOverrides(Demo: true, Debug: true, Port: new("--port", 9100), Host: new("--host", "0.0.0.0")),
            ("PORT", "9000"), ("HOST", "127.0.0.1"), ("DEBUG", "false"));
        Assert.Equal(9100, o.Port);
        Assert.Equal("0.0.0.0", o.Host);
        Assert.True(o.Debug);
        Assert.True(o.Demo);
    }

    [Fact]
    public void FlagsMakeOverriddenVariablesIrrelevant()
    {
        ProxyOptions o = Load(new OptionOverrides(false, true, new("--port", 9100), new("--host", "::1")), ("PORT", "junk"), ("HOST", "junk"), ("DEBUG", "junk"));
        Assert.Equal(9100, o.Port);
        Assert.Equal("::1", o.Host);
        Assert.True(o.Debug);
    }

    [Fact]
    public void NoDebugFlagKeepsEnvironmentDebug()
    {
        Assert.True(Load(("DEBUG", "1")).Debug);
    }

    [Fact]
    public void InvalidFlagValuesAreNamedAsFlags()
    {
        string portError = Fails(new OptionOverrides(false, false, new("--port", 70000), null));
        Assert.Equal("invalid --port=\"70000\": expected an integer from 0 to 65535", portError);

        string hostError = Fails(new OptionOverrides(false, false, null, new("--host", "nowhere")));
        Assert.StartsWith("invalid --host=\"nowhere\"", hostError, StringComparison.Ordinal);
    }

    [Fact]
    public void APlanGivesTheApiBaseOfAnApiKey()
    {
        var options = Load(("QWEN_API_KEY", "sk-sp-abc"), ("QWEN_PLAN", "coding-plan-intl"));

        Assert.Equal("coding-plan-intl", options.Plan?.Name);
        Assert.Equal("https://coding-intl.dashscope.aliyuncs.com/v1", ApiBaseUrl.Resolve(options, resourceUrl: null));
        Assert.Contains(options.Describe(), pair => pair.Key == "QWEN_PLAN" && pair.Value == "coding-plan-intl");
    }

    [Fact]
    public void QwenApiBaseUrlStillWinsOverThePlan()
    {
        var options = Load(("QWEN_API_KEY", "k"), ("QWEN_PLAN", "standard-us"), ("QWEN_API_BASE_URL", "http://127.0.0.1:9/v1"));

        Assert.Equal("http://127.0.0.1:9/v1", ApiBaseUrl.Resolve(options, resourceUrl: null));
    }

    [Fact]
    public void WithoutAPlanAnApiKeyUsesTheInternationalStandardHost() =>
        Assert.Equal(ApiBaseUrl.ApiKeyDefault, ApiBaseUrl.Resolve(Load(("QWEN_API_KEY", "k")), resourceUrl: null));

    [Fact]
    public void AnUnknownPlanIsRefusedWithTheAcceptedNames()
    {
        var error = Fails(null, ("QWEN_API_KEY", "k"), ("QWEN_PLAN", "coding"));

        Assert.Contains("QWEN_PLAN", error, StringComparison.Ordinal);
        Assert.Contains("coding-plan-cn, coding-plan-intl, token-plan-cn, token-plan-sg, standard-cn, standard-intl, standard-us, standard-hk, custom", error, StringComparison.Ordinal);
    }

    [Fact]
    public void APlanWithoutAnApiKeyIsRefused()
    {
        var error = Fails(null, ("QWEN_PLAN", "token-plan-cn"));

        Assert.Contains("QWEN_PLAN=token-plan-cn", error, StringComparison.Ordinal);
        Assert.Contains("QWEN_API_KEY", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCustomPlanNeedsABaseUrl()
    {
        Assert.Contains("QWEN_API_BASE_URL", Fails(null, ("QWEN_API_KEY", "k"), ("QWEN_PLAN", "custom")), StringComparison.Ordinal);
        Assert.Equal("https://llm.example/v1", ApiBaseUrl.Resolve(Load(("QWEN_API_KEY", "k"), ("QWEN_PLAN", "custom"), ("QWEN_API_BASE_URL", "llm.example")), resourceUrl: null));
    }

    [Fact]
    public void AUserAgentMustBePrintableAscii()
    {
        Assert.Equal("my-agent/1.0 (x)", Load(("QWEN_USER_AGENT", "my-agent/1.0 (x)")).UserAgent);
        Assert.Contains("QWEN_USER_AGENT", Fails(null, ("QWEN_USER_AGENT", "agenté")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, RequestShaping.All)]
    [InlineData("on", RequestShaping.All)]
    [InlineData("OFF", RequestShaping.None)]
    [InlineData("developer-role", RequestShaping.DeveloperRole)]
    [InlineData(" unsupported-fields , developer-role ", RequestShaping.DeveloperRole | RequestShaping.UnsupportedFields)]
    [InlineData("developer-role,unsupported-fields,stream-usage", RequestShaping.All)]
    public void RequestShapingIsOnOffOrAListOfRules(string? value, RequestShaping expected)
    {
        var options = value is null ? Load() : Load(("REQUEST_SHAPING", value));

        Assert.Equal(expected, options.RequestShaping);
    }

    [Fact]
    public void AnUnknownShapingRuleIsRefusedWithTheRuleNames()
    {
        var error = Fails(null, ("REQUEST_SHAPING", "developer-role,strip-everything"));

        Assert.Contains("REQUEST_SHAPING", error, StringComparison.Ordinal);
        Assert.Contains("developer-role, unsupported-fields and stream-usage", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelAliasesAreReadAndABadOneIsRefusedByName()
    {
        Assert.True(Load(("MODEL_ALIASES", "claude-*=qwen3-coder-plus")).ModelAliases.TryResolve("claude-x", out var model, out _));
        Assert.Equal("qwen3-coder-plus", model);
        Assert.Equal(0, Load().ModelAliases.Count);
        Assert.Contains("MODEL_ALIASES", Fails(null, ("MODEL_ALIASES", "claude")), StringComparison.Ordinal);
    }
}
