using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using static QwenFastProxy.Anthropic.JsonFields;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// Writes the chat-completions body for a validated Messages request: the model Qwen is asked for, the
/// messages and tools, the sampling settings copied as the client wrote them, streaming with usage, and
/// DashScope's thinking switch.
/// </summary>
internal static class ChatRequestWriter
{
    // Quotes in a tool call's arguments as \" rather than \u0022: the body is read by an API, not a page.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(IBufferWriter<byte> output, JsonElement root, string upstreamModel, bool modelThinks)
    {
        using var json = new Utf8JsonWriter(output, WriterOptions);
        json.WriteStartObject();
        json.WriteString("model"u8, upstreamModel);
        using (var messages = new ChatMessagesWriter(json))
        {
            messages.Write(root);
        }
        ChatToolsWriter.Write(json, root);
        Copy(json, root, "max_tokens"u8, "max_tokens"u8);
        Copy(json, root, "temperature"u8, "temperature"u8);
        Copy(json, root, "top_p"u8, "top_p"u8);
        Copy(json, root, "top_k"u8, "top_k"u8);
        Copy(json, root, "stop_sequences"u8, "stop"u8);
        if (TryGet(root, "stream"u8, out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            json.WriteBoolean("stream"u8, true);
            json.WriteStartObject("stream_options"u8);
            json.WriteBoolean("include_usage"u8, true);
            json.WriteEndObject();
        }
        if (modelThinks)
        {
            WriteThinking(json, root);
        }
        json.WriteEndObject();
    }

    /// <summary>
    /// A thinking model is told either way, since some of Qwen's think by default; a model that does not
    /// think is told nothing, so its request holds only what every model takes.
    /// </summary>
    private static void WriteThinking(Utf8JsonWriter json, JsonElement root)
    {
        if (!TryGet(root, "thinking"u8, out var thinking) || TypeIs(thinking, "disabled"u8))
        {
            json.WriteBoolean("enable_thinking"u8, false);
            return;
        }
        json.WriteBoolean("enable_thinking"u8, true);
        if (TypeIs(thinking, "enabled"u8) && TryGet(thinking, "budget_tokens"u8, out var budget))
        {
            json.WritePropertyName("thinking_budget"u8);
            budget.WriteTo(json);
        }
    }

    private static void Copy(Utf8JsonWriter json, JsonElement root, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        if (TryGet(root, from, out var value))
        {
            json.WritePropertyName(to);
            value.WriteTo(json);
        }
    }
}
