using System.Globalization;
using System.Text;
using Names = QwenFastProxy.Configuration.EnvironmentVariables;

namespace QwenFastProxy.Configuration;

/// <summary>
/// All settings of the proxy. <see cref="OptionsLoader"/> fills and validates them from the environment and
/// <see cref="OptionOverrides"/> (the executable's flags); embedders and tests may also build one directly (then
/// nothing is validated).
/// <see cref="object.ToString"/> shows <see cref="Describe"/>, so printing an instance never reveals a key.
/// </summary>
public sealed record ProxyOptions
{
    /// <summary>Listen address: an IP address or <c>localhost</c> (<c>HOST</c>).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Listen port; 0 picks an ephemeral one (<c>PORT</c>).</summary>
    public int Port { get; init; } = 8143;

    /// <summary>Debug logging (<c>DEBUG</c>, <c>--debug</c>).</summary>
    public bool Debug { get; init; }

    /// <summary>Upstream pool: idle connections kept over all hosts (<c>MAX_IDLE_CONNS</c>).</summary>
    public int MaxIdleConns { get; init; } = 50;

    /// <summary>Upstream pool: connections per upstream host (<c>MAX_IDLE_CONNS_PER_HOST</c>).</summary>
    public int MaxIdleConnsPerHost { get; init; } = 50;

    /// <summary>Upstream pool: idle connection lifetime (<c>IDLE_CONN_TIMEOUT_SECONDS</c>).</summary>
    public TimeSpan IdleConnTimeout { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Whole non-streaming request (<c>REQUEST_TIMEOUT_SECONDS</c>).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Whole streaming request (<c>STREAMING_TIMEOUT_SECONDS</c>).</summary>
    public TimeSpan StreamingTimeout { get; init; } = TimeSpan.FromSeconds(900);

    /// <summary>Longest silence between upstream stream reads (<c>READ_TIMEOUT_SECONDS</c>).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Malformed upstream chunks tolerated in one stream (<c>STREAMING_MAX_ERRORS</c>).</summary>
    public int StreamingMaxErrors { get; init; } = 10;

    /// <summary>Smart-buffer flush threshold in bytes (<c>STREAMING_BUFFER_SIZE</c>).</summary>
    public int StreamingBufferSize { get; init; } = 4096;

    /// <summary>Saved OAuth credentials (<c>QWEN_CREDS_PATH</c>), <c>~</c> expanded.</summary>
    public string CredsPath { get; init; } = HomePath.DefaultCredsPath(Environment.GetEnvironmentVariable(Names.Home));

    /// <summary>
    /// The proxy's own state folder (<c>STATE_DIR</c>, <c>~/.qwenfastproxy</c> when loaded from the environment
    /// outside <c>--demo</c>): the usage file lives there. Null keeps usage in memory only.
    /// </summary>
    public string? StateDir { get; init; }

    /// <summary>The Anthropic-compatible base, without a trailing slash (<c>QWEN_ANTHROPIC_BASE_URL</c>); null derives it from the API base.</summary>
    public string? AnthropicBaseUrl { get; init; }

    /// <summary><c>ANTHROPIC_MODE</c>; null picks forward with an API key, translate otherwise.</summary>
    public AnthropicMode? AnthropicMode { get; init; }

    /// <summary>The mode <c>/v1/messages</c> runs in.</summary>
    public AnthropicMode EffectiveAnthropicMode => AnthropicMode ?? (ApiKeyMode ? Configuration.AnthropicMode.Forward : Configuration.AnthropicMode.Translate);

    /// <summary>OAuth server, without a trailing slash (<c>QWEN_OAUTH_BASE_URL</c>).</summary>
    public string OAuthBaseUrl { get; init; } = "https://chat.qwen.ai";

    /// <summary>Forced upstream API base, normalised (<c>QWEN_API_BASE_URL</c>), or null. See <see cref="ApiBaseUrl.Resolve"/>.</summary>
    public string? ApiBaseUrl { get; init; }

    /// <summary>API-key mode's upstream key (<c>QWEN_API_KEY</c>), or null for OAuth mode. Secret.</summary>
    public string? ApiKey { get; init; }

    /// <summary>API-key mode's plan (<c>QWEN_PLAN</c>): its hosts and key shape; null when not set.</summary>
    public QwenPlan? Plan { get; init; }

    /// <summary>The User-Agent sent upstream (<c>QWEN_USER_AGENT</c>), or null for the mode's default.</summary>
    public string? UserAgent { get; init; }

    /// <summary>Keys clients must present; empty means no client check (<c>PROXY_API_KEYS</c>). Secret.</summary>
    public IReadOnlyList<string> ProxyApiKeys { get; init; } = [];

    /// <summary>OAuth mode's replacement for models outside the OAuth list (<c>DEFAULT_MODEL</c>).</summary>
    public string DefaultModel { get; init; } = "qwen3-coder-plus";

    /// <summary>Model names clients insist on, mapped to Qwen models (<c>MODEL_ALIASES</c>).</summary>
    public ModelAliases ModelAliases { get; init; } = ModelAliases.None;

    /// <summary>Consecutive upstream failures that open the circuit (<c>CIRCUIT_BREAKER_FAILURES</c>).</summary>
    public int CircuitBreakerFailures { get; init; } = 10;

    /// <summary>Open time before one trial request (<c>CIRCUIT_BREAKER_RESET_SECONDS</c>).</summary>
    public TimeSpan CircuitBreakerReset { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a request that failed before any response byte reached the client (<c>RETRY_MAX_ATTEMPTS</c>).</summary>
    public int RetryMaxAttempts { get; init; } = 3;

    /// <summary>Repair cumulative/replayed stream deltas (<c>STUTTER_FILTER</c>).</summary>
    public bool StutterFilter { get; init; } = true;

    /// <summary>Chat request rewrites for what Qwen accepts (<c>REQUEST_SHAPING</c>).</summary>
    public RequestShaping RequestShaping { get; init; } = RequestShaping.All;

    /// <summary>Log line format (<c>LOG_FORMAT</c>).</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>Larger request bodies get 413 (<c>MAX_REQUEST_BODY_BYTES</c>).</summary>
    public long MaxRequestBodyBytes { get; init; } = 67_108_864;

    /// <summary>Larger header sections get 431 (<c>MAX_REQUEST_HEADER_BYTES</c>).</summary>
    public int MaxRequestHeaderBytes { get; init; } = 32_768;

    /// <summary>Serve against the built-in simulated upstream (<c>--demo</c>).</summary>
    public bool Demo { get; init; }

    /// <summary>
    /// Forward the simulator's fault-injection headers (<c>X-Sim-Fault</c>, <c>X-Sim-Request-Id</c>) from clients to
    /// the upstream on every attempt. Only for a simulated upstream (tests, <c>--demo</c>); off by default so a client
    /// can never steer a real upstream. Not from the environment.
    /// </summary>
    public bool ForwardSimulatorHeaders { get; init; }

    /// <summary>Time a client has to send the request headers (Kestrel's <c>RequestHeadersTimeout</c> default). Not from the environment.</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Idle time before a client connection is closed (Kestrel's <c>KeepAliveTimeout</c> default). Not from the environment.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(130);

    /// <summary>
    /// Most client connections open at once; a connection beyond it is closed as soon as it is accepted, before
    /// anything is read (Kestrel's <c>KestrelServerLimits.MaxConcurrentConnections</c>, whose default is no limit:
    /// <c>null</c>). Not from the environment.
    /// </summary>
    public long? MaxConcurrentConnections { get; init; }

    /// <summary>
    /// Slowest average rate, in bytes per second, a request body may arrive at after <see cref="MinRequestBodyDataRateGracePeriod"/>;
    /// a slower client gets 408 and is disconnected. 0 turns the check off. Kestrel's <c>MinRequestBodyDataRate</c>
    /// default (240 bytes/s). Not from the environment.
    /// </summary>
    public double MinRequestBodyBytesPerSecond { get; init; } = 240;

    /// <summary>Time a request body is given before its data rate is checked (Kestrel's <c>MinRequestBodyDataRate</c> grace period). Not from the environment.</summary>
    public TimeSpan MinRequestBodyDataRateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Per-connection pipelining depth: responses held back while more pipelined requests are waiting, before the
    /// connection flushes and lets the client's reading pace it. Kestrel has no equivalent (it flushes every
    /// response); 16 bounds what one connection can make the proxy buffer. Not from the environment.
    /// </summary>
    public int MaxHeldPipelinedResponses { get; init; } = 16;

    /// <summary>
    /// OAuth mode: refresh the access token this long before it expires (30 minutes, as the Go proxy this one replaces did; a token
    /// that lives less than twice this is refreshed at half its remaining life). Not from the environment.
    /// </summary>
    public TimeSpan TokenRefreshMargin { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Grace for in-flight requests on SIGTERM. Not from the environment.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>True when <see cref="ApiKey"/> is set: no OAuth, the key goes upstream.</summary>
    public bool ApiKeyMode => ApiKey is not null;

    /// <summary>
    /// The environment-backed settings as <c>NAME</c>/value pairs for the start-up log, in the README's order.
    /// Secrets appear only as <c>set</c>, <c>set (N keys)</c> or <c>unset</c>.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> Describe()
    {
        yield return new(Names.Port, Number(Port));
        yield return new(Names.Debug, Debug ? "true" : "false");
        yield return new(Names.MaxIdleConns, Number(MaxIdleConns));
        yield return new(Names.MaxIdleConnsPerHost, Number(MaxIdleConnsPerHost));
        yield return new(Names.IdleConnTimeout, Seconds(IdleConnTimeout));
        yield return new(Names.RequestTimeout, Seconds(RequestTimeout));
        yield return new(Names.StreamingTimeout, Seconds(StreamingTimeout));
        yield return new(Names.ReadTimeout, Seconds(ReadTimeout));
        yield return new(Names.StreamingMaxErrors, Number(StreamingMaxErrors));
        yield return new(Names.StreamingBufferSize, Number(StreamingBufferSize));
        yield return new(Names.Host, Host);
        yield return new(Names.CredsPath, CredsPath);
        yield return new(Names.StateDir, StateDir ?? "unset (usage kept in memory)");
        yield return new(Names.OAuthBaseUrl, OAuthBaseUrl);
        yield return new(Names.ApiBaseUrl, ApiBaseUrl ?? "unset");
        yield return new(Names.ApiKey, ApiKey is null ? "unset" : "set");
        yield return new(Names.Plan, Plan?.Name ?? "unset");
        yield return new(Names.AnthropicBaseUrl, AnthropicBaseUrl ?? "unset");
        yield return new(Names.AnthropicMode, AnthropicMode switch
        {
            Configuration.AnthropicMode.Forward => "forward",
            Configuration.AnthropicMode.Translate => "translate",
            _ => "unset",
        });
        yield return new(Names.UserAgent, UserAgent ?? "unset");
        yield return new(Names.ProxyApiKeys, ProxyApiKeys.Count == 0
            ? "unset"
            : string.Create(CultureInfo.InvariantCulture, $"set ({ProxyApiKeys.Count} {(ProxyApiKeys.Count == 1 ? "key" : "keys")})"));
        yield return new(Names.DefaultModel, DefaultModel);
        yield return new(Names.ModelAliases, ModelAliases.Count == 0 ? "unset" : ModelAliases.ToString());
        yield return new(Names.CircuitBreakerFailures, Number(CircuitBreakerFailures));
        yield return new(Names.CircuitBreakerReset, Seconds(CircuitBreakerReset));
        yield return new(Names.RetryMaxAttempts, Number(RetryMaxAttempts));
        yield return new(Names.StutterFilter, StutterFilter ? "on" : "off");
        yield return new(Names.RequestShaping, RequestShaping switch
        {
            RequestShaping.All => "on",
            RequestShaping.None => "off",
            _ => string.Join(',', new[]
                {
                    (RequestShaping.DeveloperRole, "developer-role"),
                    (RequestShaping.UnsupportedFields, "unsupported-fields"),
                    (RequestShaping.StreamUsage, "stream-usage"),
                }.Where(rule => (RequestShaping & rule.Item1) != 0).Select(rule => rule.Item2)),
        });
        yield return new(Names.LogFormat, LogFormat == LogFormat.Json ? "json" : "text");
        yield return new(Names.MaxRequestBodyBytes, Number(MaxRequestBodyBytes));
        yield return new(Names.MaxRequestHeaderBytes, Number(MaxRequestHeaderBytes));
    }

    /// <summary>Record printing goes through <see cref="Describe"/> so that secrets never reach a log.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        bool first = true;
        foreach (KeyValuePair<string, string> pair in Describe())
        {
            builder.Append(first ? string.Empty : ", ").Append(pair.Key).Append(" = ").Append(pair.Value);
            first = false;
        }

        builder.Append(", Demo = ").Append(Demo ? "true" : "false");
        return true;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerSecond == 0
            ? ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture)
            : value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
