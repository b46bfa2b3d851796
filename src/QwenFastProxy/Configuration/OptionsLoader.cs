using System.Diagnostics.CodeAnalysis;
using Names = QwenFastProxy.Configuration.EnvironmentVariables;

namespace QwenFastProxy.Configuration;

/// <summary>Builds validated <see cref="ProxyOptions"/> from the environment and the caller's overrides.</summary>
public static class OptionsLoader
{
    /// <summary>
    /// Reads the environment, except where <paramref name="overrides"/> sets a value: that one wins and its variable
    /// is not read. Unset, empty or white-space-only variables keep their defaults. Any value that does not parse
    /// or is out of range makes this return false with one line per problem, each naming the variable (or the
    /// override's <see cref="NamedSetting{T}.Name"/>) and the accepted values; nothing falls back silently.
    /// </summary>
    public static bool TryLoad(
        Func<string, string?> getEnvironmentVariable,
        OptionOverrides overrides,
        [NotNullWhen(true)] out ProxyOptions? options,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        ArgumentNullException.ThrowIfNull(overrides);

        var env = new SettingReader(getEnvironmentVariable);
        string? home = getEnvironmentVariable(Names.Home);
        var defaults = new ProxyOptions { CredsPath = HomePath.DefaultCredsPath(home) };

        var loaded = new ProxyOptions
        {
            Host = ReadHost(env, overrides.Host, defaults.Host),
            Port = ReadPort(env, overrides.Port, defaults.Port),
            Debug = overrides.Debug || env.Boolean(Names.Debug, defaults.Debug),
            MaxIdleConns = env.Integer(Names.MaxIdleConns, defaults.MaxIdleConns, OptionLimits.MinConnections),
            MaxIdleConnsPerHost = env.Integer(Names.MaxIdleConnsPerHost, defaults.MaxIdleConnsPerHost, OptionLimits.MinConnections),
            IdleConnTimeout = env.Seconds(Names.IdleConnTimeout, defaults.IdleConnTimeout),
            RequestTimeout = env.Seconds(Names.RequestTimeout, defaults.RequestTimeout),
            StreamingTimeout = env.Seconds(Names.StreamingTimeout, defaults.StreamingTimeout),
            ReadTimeout = env.Seconds(Names.ReadTimeout, defaults.ReadTimeout),
            StreamingMaxErrors = env.Integer(Names.StreamingMaxErrors, defaults.StreamingMaxErrors, OptionLimits.MinStreamingMaxErrors),
            StreamingBufferSize = env.Integer(
                Names.StreamingBufferSize, defaults.StreamingBufferSize, OptionLimits.MinStreamingBufferSize, OptionLimits.MaxStreamingBufferSize),
            CredsPath = ReadCredsPath(env, home, defaults.CredsPath),
            StateDir = ReadStateDir(env, home, overrides.Demo),
            OAuthBaseUrl = ReadOAuthBaseUrl(env, defaults.OAuthBaseUrl),
            ApiBaseUrl = ReadApiBaseUrl(env),
            ApiKey = ReadApiKey(env),
            Plan = ReadPlan(env),
            AnthropicBaseUrl = ReadAnthropicBaseUrl(env),
            AnthropicMode = ReadAnthropicMode(env),
            UserAgent = ReadUserAgent(env),
            ProxyApiKeys = ReadProxyApiKeys(env, defaults.ProxyApiKeys),
            DefaultModel = ReadDefaultModel(env, defaults.DefaultModel),
            ModelAliases = ReadModelAliases(env),
            CircuitBreakerFailures = env.Integer(Names.CircuitBreakerFailures, defaults.CircuitBreakerFailures, OptionLimits.MinCircuitBreakerFailures, OptionLimits.MaxCircuitBreakerFailures),
            CircuitBreakerReset = env.Seconds(Names.CircuitBreakerReset, defaults.CircuitBreakerReset),
            RetryMaxAttempts = env.Integer(
                Names.RetryMaxAttempts, defaults.RetryMaxAttempts, OptionLimits.MinRetryAttempts, OptionLimits.MaxRetryAttempts),
            StutterFilter = env.OnOff(Names.StutterFilter, defaults.StutterFilter),
            RequestShaping = ReadRequestShaping(env, defaults.RequestShaping),
            LogFormat = ReadLogFormat(env, defaults.LogFormat),
            MaxRequestBodyBytes = env.Long(Names.MaxRequestBodyBytes, defaults.MaxRequestBodyBytes, OptionLimits.MinRequestBodyBytes, OptionLimits.MaxRequestBodyBytes),
            MaxRequestHeaderBytes = env.Integer(
                Names.MaxRequestHeaderBytes, defaults.MaxRequestHeaderBytes, OptionLimits.MinRequestHeaderBytes, OptionLimits.MaxRequestHeaderBytes),
            Demo = overrides.Demo,
        };

        CheckPlan(env, loaded);
        CheckAnthropicMode(env, loaded);
        if (env.Errors.Count > 0)
        {
            options = null;
            error = string.Join(Environment.NewLine, env.Errors);
            return false;
        }

        options = loaded;
        error = null;
        return true;
    }

    private static string ReadHost(SettingReader env, NamedSetting<string>? given, string fallback)
    {
        if (given is not null)
        {
            if (HostAddress.TryNormalize(given.Value, out string? givenHost))
            {
                return givenHost!;
            }

            env.Fail(ValueText.Invalid(given.Name, given.Value, HostAddress.Expected));
            return fallback;
        }

        string? raw = env.Text(Names.Host);
        if (raw is null)
        {
            return fallback;
        }

        if (HostAddress.TryNormalize(raw, out string? host))
        {
            return host!;
        }

        env.Fail(ValueText.Invalid(Names.Host, raw, HostAddress.Expected));
        return fallback;
    }

    private static int ReadPort(SettingReader env, NamedSetting<int>? given, int fallback)
    {
        if (given is not null)
        {
            if (given.Value is >= OptionLimits.MinPort and <= OptionLimits.MaxPort)
            {
                return given.Value;
            }

            env.Fail(ValueText.Invalid(
                given.Name,
                given.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ValueText.ExpectedInteger(OptionLimits.MinPort, OptionLimits.MaxPort)));
            return fallback;
        }

        return env.Integer(Names.Port, fallback, OptionLimits.MinPort, OptionLimits.MaxPort);
    }

    private static string ReadCredsPath(SettingReader env, string? home, string fallback)
    {
        string? raw = env.Text(Names.CredsPath);
        if (raw is null)
        {
            return fallback;
        }

        const string expected = "expected a file path (a leading ~ means the home folder)";
        if (raw.Contains('\0', StringComparison.Ordinal) || raw.EndsWith('/') || raw.EndsWith(Path.DirectorySeparatorChar))
        {
            env.Fail(ValueText.Invalid(Names.CredsPath, raw, expected));
            return fallback;
        }

        try
        {
            return Path.GetFullPath(HomePath.Expand(raw, home));
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException or PathTooLongException)
        {
            env.Fail(ValueText.Invalid(Names.CredsPath, raw, expected));
            return fallback;
        }
    }

    /// <summary>The folder given, else <c>~/.qwenfastproxy</c>; a demo without one keeps no state on disk.</summary>
    private static string? ReadStateDir(SettingReader env, string? home, bool demo)
    {
        string? raw = env.Text(Names.StateDir);
        if (raw is null)
        {
            return demo ? null : Path.GetFullPath(HomePath.Expand(HomePath.DefaultStateDirRelative, home));
        }

        const string expected = "expected a folder path (a leading ~ means the home folder)";
        if (raw.Contains('\0', StringComparison.Ordinal))
        {
            env.Fail(ValueText.Invalid(Names.StateDir, raw, expected));
            return null;
        }

        try
        {
            return Path.GetFullPath(HomePath.Expand(raw, home));
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException or PathTooLongException)
        {
            env.Fail(ValueText.Invalid(Names.StateDir, raw, expected));
            return null;
        }
    }

    private static string ReadOAuthBaseUrl(SettingReader env, string fallback)
    {
        string? raw = env.Text(Names.OAuthBaseUrl);
        if (raw is null)
        {
            return fallback;
        }

        if (Uri.TryCreate(raw, UriKind.Absolute, out Uri? uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && uri.Host.Length > 0
            && uri.Query.Length == 0
            && uri.Fragment.Length == 0
            && uri.UserInfo.Length == 0)
        {
            return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        }

        env.Fail(ValueText.Invalid(Names.OAuthBaseUrl, raw, "expected an absolute http:// or https:// URL such as https://chat.qwen.ai"));
        return fallback;
    }

    private static string? ReadApiBaseUrl(SettingReader env)
    {
        string? raw = env.Text(Names.ApiBaseUrl);
        if (raw is null)
        {
            return null;
        }

        if (ApiBaseUrl.TryNormalize(raw, out string? normalized))
        {
            return normalized;
        }

        env.Fail(ValueText.Invalid(
            Names.ApiBaseUrl, raw, "expected an http:// or https:// URL or a host name, such as https://portal.qwen.ai/v1 or portal.qwen.ai"));
        return null;
    }

    private static string? ReadApiKey(SettingReader env)
    {
        string? key = env.Text(Names.ApiKey);
        if (key is null || ValueText.IsHeaderToken(key))
        {
            return key;
        }

        env.Fail(ValueText.InvalidSecret(Names.ApiKey, "expected printable ASCII without spaces"));
        return null;
    }

    private static IReadOnlyList<string> ReadProxyApiKeys(SettingReader env, IReadOnlyList<string> fallback)
    {
        // Read as set: a non-empty value that yields no key is an error, never an open proxy.
        string? raw = env.Raw(Names.ProxyApiKeys);
        if (raw is null)
        {
            return fallback;
        }

        string[] keys = raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (keys.Length == 0)
        {
            env.Fail(ValueText.InvalidSecret(Names.ProxyApiKeys, "expected one or more comma-separated keys, found only empty entries"));
            return fallback;
        }

        for (int i = 0; i < keys.Length; i++)
        {
            if (!ValueText.IsHeaderToken(keys[i]))
            {
                env.Fail(ValueText.InvalidSecret(
                    Names.ProxyApiKeys,
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"key {i + 1} must be printable ASCII without spaces")));
                return fallback;
            }
        }

        return Array.AsReadOnly(keys.Distinct(StringComparer.Ordinal).ToArray());
    }

    private static string ReadDefaultModel(SettingReader env, string fallback)
    {
        string? raw = env.Text(Names.DefaultModel);
        if (raw is null)
        {
            return fallback;
        }

        if (ValueText.IsHeaderToken(raw))
        {
            return raw;
        }

        env.Fail(ValueText.Invalid(Names.DefaultModel, raw, "expected a model name without spaces, such as qwen3-coder-plus"));
        return fallback;
    }

    private static QwenPlan? ReadPlan(SettingReader env)
    {
        string? raw = env.Text(Names.Plan);
        if (raw is null)
        {
            return null;
        }
        if (QwenPlan.Find(raw) is { } plan)
        {
            return plan;
        }
        env.Fail(ValueText.Invalid(Names.Plan, raw, "expected one of " + QwenPlan.Names));
        return null;
    }

    private static string? ReadUserAgent(SettingReader env)
    {
        string? raw = env.Text(Names.UserAgent);
        if (raw is null || raw.All(c => c is >= ' ' and <= '~'))
        {
            return raw;
        }
        env.Fail(ValueText.Invalid(Names.UserAgent, raw, "expected printable ASCII, such as my-agent/1.0"));
        return null;
    }

    // A plan names the hosts of an API key; it means nothing to an OAuth login, and "custom" names none.
    private static void CheckPlan(SettingReader env, ProxyOptions loaded)
    {
        if (loaded.Plan is not { } plan)
        {
            return;
        }
        if (!loaded.ApiKeyMode)
        {
            env.Fail($"{Names.Plan}={plan.Name} is for API keys (plans have no OAuth login): set {Names.ApiKey} as well, or unset {Names.Plan}.");
        }
        if (plan.OpenAiBaseUrl is null && loaded.ApiBaseUrl is null)
        {
            env.Fail($"{Names.Plan}=custom needs {Names.ApiBaseUrl}, the base URL of your endpoint.");
        }
    }

    private static string? ReadAnthropicBaseUrl(SettingReader env)
    {
        string? raw = env.Text(Names.AnthropicBaseUrl);
        if (raw is null)
        {
            return null;
        }
        if (Uri.TryCreate(raw, UriKind.Absolute, out Uri? uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && uri.Host.Length > 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0)
        {
            return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        }
        env.Fail(ValueText.Invalid(Names.AnthropicBaseUrl, raw,
            "expected an absolute http:// or https:// URL such as https://dashscope-intl.aliyuncs.com/apps/anthropic"));
        return null;
    }

    private static AnthropicMode? ReadAnthropicMode(SettingReader env)
    {
        string? raw = env.Text(Names.AnthropicMode);
        switch (raw?.ToLowerInvariant())
        {
            case null:
                return null;
            case "forward":
                return AnthropicMode.Forward;
            case "translate":
                return AnthropicMode.Translate;
            default:
                env.Fail(ValueText.Invalid(Names.AnthropicMode, raw!, "expected forward or translate"));
                return null;
        }
    }

    // Only a plan key opens Qwen's Anthropic-compatible endpoint; an OAuth login reaches chat completions alone.
    private static void CheckAnthropicMode(SettingReader env, ProxyOptions loaded)
    {
        if (loaded.AnthropicMode == AnthropicMode.Forward && !loaded.ApiKeyMode && !loaded.Demo)
        {
            env.Fail($"{Names.AnthropicMode}=forward needs {Names.ApiKey}: an OAuth login has no Anthropic-compatible endpoint (use translate, or set a plan key).");
        }
    }

    private static ModelAliases ReadModelAliases(SettingReader env)
    {
        string? raw = env.Text(Names.ModelAliases);
        if (raw is null)
        {
            return ModelAliases.None;
        }
        if (ModelAliases.TryParse(raw, out var aliases, out var problem))
        {
            return aliases;
        }
        env.Fail(ValueText.Invalid(Names.ModelAliases, raw, problem!));
        return ModelAliases.None;
    }

    private static RequestShaping ReadRequestShaping(SettingReader env, RequestShaping fallback)
    {
        string? raw = env.Text(Names.RequestShaping);
        if (raw is null)
        {
            return fallback;
        }
        if (string.Equals(raw, "on", StringComparison.OrdinalIgnoreCase))
        {
            return RequestShaping.All;
        }
        if (string.Equals(raw, "off", StringComparison.OrdinalIgnoreCase))
        {
            return RequestShaping.None;
        }
        var rules = RequestShaping.None;
        foreach (var name in raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            switch (name.ToLowerInvariant())
            {
                case "developer-role":
                    rules |= RequestShaping.DeveloperRole;
                    break;
                case "unsupported-fields":
                    rules |= RequestShaping.UnsupportedFields;
                    break;
                case "stream-usage":
                    rules |= RequestShaping.StreamUsage;
                    break;
                default:
                    env.Fail(ValueText.Invalid(Names.RequestShaping, raw, "expected on, off, or a comma-separated list of developer-role, unsupported-fields and stream-usage"));
                    return fallback;
            }
        }
        return rules;
    }

    private static LogFormat ReadLogFormat(SettingReader env, LogFormat fallback)
    {
        string? raw = env.Text(Names.LogFormat);
        if (raw is null)
        {
            return fallback;
        }

        if (string.Equals(raw, "text", StringComparison.OrdinalIgnoreCase))
        {
            return LogFormat.Text;
        }

        if (string.Equals(raw, "json", StringComparison.OrdinalIgnoreCase))
        {
            return LogFormat.Json;
        }

        env.Fail(ValueText.Invalid(Names.LogFormat, raw, "expected text or json"));
        return fallback;
    }
}
