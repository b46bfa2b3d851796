namespace QwenFastProxy.Configuration;

/// <summary>
/// Rewrites of chat requests for what Qwen's OpenAI-compatible endpoints accept (<c>REQUEST_SHAPING</c>): newer
/// OpenAI clients send things DashScope refuses with 400.
/// </summary>
[Flags]
public enum RequestShaping
{
    /// <summary>Requests go upstream as the client sent them.</summary>
    None = 0,

    /// <summary><c>developer-role</c>: a message with role <c>developer</c> (OpenAI's o-series name for system) becomes <c>system</c>.</summary>
    DeveloperRole = 1,

    /// <summary><c>unsupported-fields</c>: the top-level <c>store</c>, <c>background</c> and <c>webhook_config</c> are dropped.</summary>
    UnsupportedFields = 2,

    /// <summary>
    /// <c>stream-usage</c>: a stream request without <c>stream_options</c> gets <c>"stream_options":{"include_usage":true}</c>,
    /// so the proxy learns the token counts, and the usage chunk is taken out of the stream again (the client did not
    /// ask for it). Only with STUTTER_FILTER=on, whose frame-by-frame relay can take it out.
    /// </summary>
    StreamUsage = 4,

    /// <summary>Every rule (the default).</summary>
    All = DeveloperRole | UnsupportedFields | StreamUsage,
}
