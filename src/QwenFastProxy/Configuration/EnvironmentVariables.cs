namespace QwenFastProxy.Configuration;

/// <summary>The names of the environment variables the proxy reads, in the README's order, with a one-line meaning each.</summary>
internal static class EnvironmentVariables
{
    public const string Port = "PORT";
    public const string Debug = "DEBUG";
    public const string MaxIdleConns = "MAX_IDLE_CONNS";
    public const string MaxIdleConnsPerHost = "MAX_IDLE_CONNS_PER_HOST";
    public const string IdleConnTimeout = "IDLE_CONN_TIMEOUT_SECONDS";
    public const string RequestTimeout = "REQUEST_TIMEOUT_SECONDS";
    public const string StreamingTimeout = "STREAMING_TIMEOUT_SECONDS";
    public const string ReadTimeout = "READ_TIMEOUT_SECONDS";
    public const string StreamingMaxErrors = "STREAMING_MAX_ERRORS";
    public const string StreamingBufferSize = "STREAMING_BUFFER_SIZE";
    public const string Host = "HOST";
    public const string CredsPath = "QWEN_CREDS_PATH";
    public const string StateDir = "STATE_DIR";
    public const string OAuthBaseUrl = "QWEN_OAUTH_BASE_URL";
    public const string ApiBaseUrl = "QWEN_API_BASE_URL";
    public const string ApiKey = "QWEN_API_KEY";
    public const string Plan = "QWEN_PLAN";
    public const string AnthropicBaseUrl = "QWEN_ANTHROPIC_BASE_URL";
    public const string AnthropicMode = "ANTHROPIC_MODE";
    public const string UserAgent = "QWEN_USER_AGENT";
    public const string ProxyApiKeys = "PROXY_API_KEYS";
    public const string DefaultModel = "DEFAULT_MODEL";
    public const string ModelAliases = "MODEL_ALIASES";
    public const string CircuitBreakerFailures = "CIRCUIT_BREAKER_FAILURES";
    public const string CircuitBreakerReset = "CIRCUIT_BREAKER_RESET_SECONDS";
    public const string RetryMaxAttempts = "RETRY_MAX_ATTEMPTS";
    public const string StutterFilter = "STUTTER_FILTER";
    public const string RequestShaping = "REQUEST_SHAPING";
    public const string LogFormat = "LOG_FORMAT";
    public const string MaxRequestBodyBytes = "MAX_REQUEST_BODY_BYTES";
    public const string MaxRequestHeaderBytes = "MAX_REQUEST_HEADER_BYTES";

    /// <summary>Used only to expand <c>~</c> in <see cref="CredsPath"/> and <see cref="StateDir"/>.</summary>
    public const string Home = "HOME";

    /// <summary>Every variable with its meaning, in the order help and the start-up log list them.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> Meanings =
    [
        new(Port, "listen port"),
        new(Debug, "debug logging (true/false, 1/0, yes/no, on/off)"),
        new(MaxIdleConns, "upstream pool: idle connections kept, all hosts"),
        new(MaxIdleConnsPerHost, "upstream pool: connections per upstream host"),
        new(IdleConnTimeout, "upstream pool: idle connection lifetime, seconds"),
        new(RequestTimeout, "whole non-streaming request, seconds"),
        new(StreamingTimeout, "whole streaming request, seconds"),
        new(ReadTimeout, "longest silence between upstream stream reads, seconds"),
        new(StreamingMaxErrors, "malformed upstream chunks tolerated in one stream"),
        new(StreamingBufferSize, "smart-buffer flush threshold, bytes (256..1048576)"),
        new(Host, "listen address: an IP address or localhost"),
        new(CredsPath, "saved OAuth credentials"),
        new(StateDir, "the proxy's own state (usage.csv: usage per client key and model); --demo keeps it in memory unless set"),
        new(OAuthBaseUrl, "OAuth server"),
        new(ApiBaseUrl, "force the upstream API base (else credentials' resource_url or the mode's default)"),
        new(ApiKey, "API-key mode: no OAuth, this key is sent upstream"),
        new(Plan, "API-key mode: the plan whose hosts to use (coding-plan-cn|intl, token-plan-cn|sg, standard-cn|intl|us|hk, custom)"),
        new(AnthropicBaseUrl, "API-key mode: the Anthropic-compatible base for /v1/messages (default: the API base's host + /apps/anthropic)"),
        new(AnthropicMode, "/v1/messages: forward (to the Anthropic base; API keys) or translate (to chat completions); default forward with an API key"),
        new(UserAgent, "the User-Agent sent upstream (default: the calling agent's on Coding Plan, else QwenFastProxy)"),
        new(ProxyApiKeys, "comma-separated keys clients must present (Bearer or x-api-key)"),
        new(DefaultModel, "OAuth mode: replaces models outside the OAuth model list"),
        new(ModelAliases, "pattern=model pairs: model names clients insist on (claude-*, gpt-4o) sent as a Qwen model"),
        new(CircuitBreakerFailures, "consecutive upstream failures that open the circuit"),
        new(CircuitBreakerReset, "seconds the circuit stays open before a trial request"),
        new(RetryMaxAttempts, "retries before any response byte was sent (0..10)"),
        new(StutterFilter, "on: repair cumulative/replayed stream deltas; off: relay untouched"),
        new(RequestShaping, "on, off, or some of developer-role,unsupported-fields,stream-usage: chat request rewrites for Qwen"),
        new(LogFormat, "text or json"),
        new(MaxRequestBodyBytes, "larger request bodies get 413"),
        new(MaxRequestHeaderBytes, "larger header sections get 431 (1024..1048576)"),
    ];
}
