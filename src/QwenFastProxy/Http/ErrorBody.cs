using System.Buffers;
using System.Text.Json;

namespace QwenFastProxy.Http;

/// <summary>The OpenAI error shape: <c>{"error":{"message","type","code"}}</c>.</summary>
internal static class ErrorBody
{
    /// <summary>Writes the error object as JSON into <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, string message, string type, string code)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WritePropertyName("error"u8);
        json.WriteStartObject();
        json.WriteString("message"u8, message);
        json.WriteString("type"u8, type);
        json.WriteString("code"u8, code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The error object as bytes (cold path: refusals and upstream failures).</summary>
    public static byte[] ToBytes(in HttpError error)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        Write(buffer, error.Message, error.Type, error.Code);
        return buffer.WrittenSpan.ToArray();
    }
}
