using System.Net.Http.Headers;
using System.Text;
using QwenFastProxy.Http;

namespace QwenFastProxy.Upstream;

/// <summary>
/// Which headers cross the proxy. Towards Qwen: the official Qwen Code client's identity headers and
/// the proxy's own credentials — never the client's <c>Authorization</c> or <c>x-api-key</c>. Back to
/// the client: the content type, rate-limit hints and request ids; hop-by-hop headers never.
/// </summary>
internal static class UpstreamHeaders
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    // Client request headers forwarded on pass-through endpoints besides the body's content type.
    private static readonly byte[][] ForwardedRequestHeaders = ["Accept"u8.ToArray(), "X-Request-Id"u8.ToArray(), "OpenAI-Beta"u8.ToArray()];

    // The simulator's fault-injection headers (QwenFastProxy.Simulator.FaultHeaders), forwarded only when the embedder
    // asks for it (ProxyOptions.ForwardSimulatorHeaders).
    private static readonly byte[][] SimulatorRequestHeaders = ["X-Sim-Fault"u8.ToArray(), "X-Sim-Request-Id"u8.ToArray()];

    /// <summary>Adds the identity and credential headers every upstream request carries.</summary>
    public static void AddIdentity(HttpRequestMessage request, string authorization, string? authType, string userAgent)
    {
        var headers = request.Headers;
        headers.TryAddWithoutValidation("Authorization", authorization);
        headers.TryAddWithoutValidation("User-Agent", userAgent);
        headers.TryAddWithoutValidation("X-DashScope-CacheControl", "enable");
        headers.TryAddWithoutValidation("X-DashScope-UserAgent", userAgent);
        if (authType is not null)
        {
            headers.TryAddWithoutValidation("X-DashScope-AuthType", authType);
        }
    }

    /// <summary>A chat body: always JSON, whatever the client claimed.</summary>
    public static void SetJsonContentType(HttpContent content) => content.Headers.ContentType = Json;

    /// <summary>Copies the allow-listed client headers of a pass-through request.</summary>
    public static void CopyClientHeaders(RequestHeaders from, HttpRequestMessage to)
    {
        foreach (var name in ForwardedRequestHeaders)
        {
            if (from.TryGet(name, out var value))
            {
                to.Headers.TryAddWithoutValidation(Encoding.ASCII.GetString(name), Encoding.Latin1.GetString(value));
            }
        }
        if (to.Content is not null && from.TryGet("Content-Type"u8, out var contentType))
        {
            to.Content.Headers.TryAddWithoutValidation("Content-Type", Encoding.Latin1.GetString(contentType));
        }
    }

    /// <summary>
    /// Copies the Messages API's version and beta headers, which say what the client expects of the answer
    /// (the client's <c>x-api-key</c> is its key to the proxy and is never sent on).
    /// </summary>
    public static void CopyAnthropicHeaders(RequestHeaders from, HttpRequestMessage to)
    {
        if (from.TryGet("anthropic-version"u8, out var version))
        {
            to.Headers.TryAddWithoutValidation("anthropic-version", Encoding.Latin1.GetString(version));
        }
        if (from.TryGet("anthropic-beta"u8, out var beta))
        {
            to.Headers.TryAddWithoutValidation("anthropic-beta", Encoding.Latin1.GetString(beta));
        }
    }

    /// <summary>Copies the simulator's fault-injection headers, when the client sent them.</summary>
    public static void CopySimulatorHeaders(RequestHeaders from, HttpRequestMessage to)
    {
        foreach (var name in SimulatorRequestHeaders)
        {
            if (from.TryGet(name, out var value))
            {
                to.Headers.TryAddWithoutValidation(Encoding.ASCII.GetString(name), Encoding.Latin1.GetString(value));
            }
        }
    }

    /// <summary>True when a raw <c>Content-Type</c> value names <c>text/event-stream</c> (parameters ignored).</summary>
    public static bool IsEventStream(string contentType)
    {
        var value = contentType.AsSpan();
        var semicolon = value.IndexOf(';');
        return (semicolon < 0 ? value : value[..semicolon]).Trim().Equals("text/event-stream", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True for upstream response headers worth passing to the client.</summary>
    public static bool IsForwardedResponseHeader(string name) =>
        name.Equals("Retry-After", StringComparison.OrdinalIgnoreCase)
        || name.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("x-dashscope-", StringComparison.OrdinalIgnoreCase);
}
