using System.Buffers;
using System.Text.Json;
using QwenFastProxy.Http;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Routing;

/// <summary>Answers the proxy gives itself, with their bodies built once.</summary>
internal static class LocalResponses
{
    private static readonly byte[] ModelsBody = BuildModels();
    private static readonly byte[] HealthyBody = """{"status":"ok"}"""u8.ToArray();

    public static void Models(ResponseOutput response) =>
        response.WriteComplete(200, ResponseOutput.JsonContentType, ModelsBody);

    public static void Healthy(ResponseOutput response) =>
        response.WriteComplete(200, ResponseOutput.JsonContentType, HealthyBody);

    public static void Readiness(ResponseOutput response, bool ready, string? reason)
    {
        var body = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("status"u8, ready ? "ready" : "not_ready");
            if (reason is not null)
            {
                json.WriteString("reason"u8, reason);
            }
            json.WriteEndObject();
        }
        response.WriteComplete(ready ? 200 : 503, ResponseOutput.JsonContentType, body.WrittenSpan);
    }

    /// <summary>CORS preflight: browsers may call the proxy from any origin with any of these.</summary>
    public static void Preflight(ResponseOutput response) =>
        response.WriteComplete(204,
            "Access-Control-Allow-Methods: GET, POST, PUT, PATCH, DELETE, OPTIONS\r\nAccess-Control-Allow-Headers: Authorization, Content-Type, x-api-key, OpenAI-Beta, X-Request-Id, X-Stainless-Lang, X-Stainless-Package-Version, X-Stainless-OS, X-Stainless-Arch, X-Stainless-Runtime, X-Stainless-Runtime-Version, anthropic-version, anthropic-beta, anthropic-dangerous-direct-browser-access\r\nAccess-Control-Max-Age: 86400\r\n"u8,
            default);

    /// <param name="response">Where to write.</param>
    /// <param name="headerLines">The content type and Allow lines, pre-built.</param>
    public static void MethodNotAllowedWith(ResponseOutput response, ReadOnlySpan<byte> headerLines) =>
        response.WriteComplete(ProxyErrors.MethodNotAllowed.Status, headerLines, MethodNotAllowedBody);

    private static readonly byte[] MethodNotAllowedBody = ErrorBody.ToBytes(ProxyErrors.MethodNotAllowed);

    private static byte[] BuildModels()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("object"u8, "list");
            json.WriteStartArray("data"u8);
            foreach (var model in ModelCatalog.OAuthModels)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, model);
                json.WriteString("object"u8, "model");
                json.WriteNumber("created"u8, 1754006400); // 2025-08-01, a fixed date: clients only display it
                json.WriteString("owned_by"u8, "qwen");
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
