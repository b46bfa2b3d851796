using System.Buffers;
using System.Text.Json;

namespace QwenFastProxy.Http;

/// <summary>
/// Anthropic's error shape, <c>{"type":"error","error":{"type","message"}}</c>, for the Messages API's clients:
/// its SDKs and Claude Code pick their retry and wording from <c>error.type</c>.
/// </summary>
internal static class AnthropicErrorBody
{
    /// <summary>Anthropic's error type for a status: 529 and 503 are the overload its clients back off from.</summary>
    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    /// <summary>Writes the error object as JSON.</summary>
    public static void Write(IBufferWriter<byte> output, string type, string message)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("type"u8, "error"u8);
        json.WritePropertyName("error"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, type);
        json.WriteString("message"u8, message);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The error object as bytes (cold path).</summary>
    public static byte[] ToBytes(in HttpError error)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        Write(buffer, TypeFor(error.Status), error.Message);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The event that ends an Anthropic event stream the upstream broke: <c>event: error</c>, which the SDKs raise
    /// as an API error.
    /// </summary>
    public static void WriteEvent(IBufferWriter<byte> output, in HttpError error)
    {
        output.Write("event: error\ndata: "u8);
        Write(output, TypeFor(error.Status), error.Message);
        output.Write("\n\n"u8);
    }
}
