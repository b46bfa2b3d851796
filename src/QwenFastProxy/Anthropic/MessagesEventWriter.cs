using System.Buffers;
using System.Text.Json;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// Writes Anthropic Messages stream events, each framed as <c>event: type</c>, <c>data: json</c> and a blank line,
/// with one reused <see cref="Utf8JsonWriter"/>. Delta text arrives as raw JSON string tokens (quotes and escapes
/// as the upstream sent them) and is copied without decoding.
/// </summary>
internal sealed class MessagesEventWriter : IDisposable
{
    private readonly Utf8JsonWriter _json = new(new ArrayBufferWriter<byte>(1));

    public void MessageStart(string messageId, string model, int inputTokens, IBufferWriter<byte> output)
    {
        Begin("message_start"u8, output);
        _json.WriteStartObject("message"u8);
        _json.WriteString("id"u8, messageId);
        _json.WriteString("type"u8, "message"u8);
        _json.WriteString("role"u8, "assistant"u8);
        _json.WriteString("model"u8, model);
        _json.WriteStartArray("content"u8);
        _json.WriteEndArray();
        _json.WriteNull("stop_reason"u8);
        _json.WriteNull("stop_sequence"u8);
        WriteUsage(new MessagesUsage(inputTokens, 0, 0, 0));
        _json.WriteEndObject();
        End(output);
    }

    public void Dispose() => _json.Dispose();

    public void Ping(IBufferWriter<byte> output)
    {
        Begin("ping"u8, output);
        End(output);
    }

    /// <summary>Starts a thinking or text block.</summary>
    public void BlockStart(int index, ContentBlockKind kind, IBufferWriter<byte> output)
    {
        BeginBlock("content_block_start"u8, index, output);
        _json.WriteStartObject("content_block"u8);
        if (kind == ContentBlockKind.Thinking)
        {
            _json.WriteString("type"u8, "thinking"u8);
            _json.WriteString("thinking"u8, ""u8);
            _json.WriteString("signature"u8, ""u8);
        }
        else
        {
            _json.WriteString("type"u8, "text"u8);
            _json.WriteString("text"u8, ""u8);
        }
        _json.WriteEndObject();
        End(output);
    }

    /// <summary>Starts a tool_use block; <paramref name="rawId"/> and <paramref name="rawName"/> are JSON string tokens.</summary>
    public void ToolUseStart(int index, ReadOnlySpan<byte> rawId, ReadOnlySpan<byte> rawName, IBufferWriter<byte> output)
    {
        BeginBlock("content_block_start"u8, index, output);
        _json.WriteStartObject("content_block"u8);
        _json.WriteString("type"u8, "tool_use"u8);
        _json.WritePropertyName("id"u8);
        _json.WriteRawValue(rawId, skipInputValidation: true);
        _json.WritePropertyName("name"u8);
        _json.WriteRawValue(rawName, skipInputValidation: true);
        // The SDKs accumulate input_json_delta only into a block that starts with an input object.
        _json.WriteStartObject("input"u8);
        _json.WriteEndObject();
        _json.WriteEndObject();
        End(output);
    }

    /// <summary>A text_delta or thinking_delta carrying <paramref name="rawString"/>, a JSON string token.</summary>
    public void TextDelta(int index, ContentBlockKind kind, ReadOnlySpan<byte> rawString, IBufferWriter<byte> output)
    {
        BeginBlock("content_block_delta"u8, index, output);
        _json.WriteStartObject("delta"u8);
        if (kind == ContentBlockKind.Thinking)
        {
            _json.WriteString("type"u8, "thinking_delta"u8);
            _json.WritePropertyName("thinking"u8);
        }
        else
        {
            _json.WriteString("type"u8, "text_delta"u8);
            _json.WritePropertyName("text"u8);
        }
        _json.WriteRawValue(rawString, skipInputValidation: true);
        _json.WriteEndObject();
        End(output);
    }

    /// <summary>An input_json_delta whose <c>partial_json</c> is <paramref name="rawString"/>, a JSON string token.</summary>
    public void InputJsonDelta(int index, ReadOnlySpan<byte> rawString, IBufferWriter<byte> output)
    {
        BeginBlock("content_block_delta"u8, index, output);
        _json.WriteStartObject("delta"u8);
        _json.WriteString("type"u8, "input_json_delta"u8);
        _json.WritePropertyName("partial_json"u8);
        _json.WriteRawValue(rawString, skipInputValidation: true);
        _json.WriteEndObject();
        End(output);
    }

    /// <summary>
    /// The signature that closes a thinking block. Qwen signs nothing, so it is empty: the SDKs then hold a thinking
    /// block with an empty signature, which the proxy's request side must not try to verify.
    /// </summary>
    public void SignatureDelta(int index, IBufferWriter<byte> output)
    {
        BeginBlock("content_block_delta"u8, index, output);
        _json.WriteStartObject("delta"u8);
        _json.WriteString("type"u8, "signature_delta"u8);
        _json.WriteString("signature"u8, ""u8);
        _json.WriteEndObject();
        End(output);
    }

    public void BlockStop(int index, IBufferWriter<byte> output)
    {
        BeginBlock("content_block_stop"u8, index, output);
        End(output);
    }

    public void MessageDelta(MessagesStopReason stopReason, in MessagesUsage usage, IBufferWriter<byte> output)
    {
        Begin("message_delta"u8, output);
        _json.WriteStartObject("delta"u8);
        _json.WriteString("stop_reason"u8, MessagesStopReasons.Utf8Name(stopReason));
        _json.WriteNull("stop_sequence"u8);
        _json.WriteEndObject();
        WriteUsage(usage);
        End(output);
    }

    public void MessageStop(IBufferWriter<byte> output)
    {
        Begin("message_stop"u8, output);
        End(output);
    }

    public void Error(string errorType, string message, IBufferWriter<byte> output)
    {
        Begin("error"u8, output);
        _json.WriteStartObject("error"u8);
        _json.WriteString("type"u8, errorType);
        _json.WriteString("message"u8, message);
        _json.WriteEndObject();
        End(output);
    }

    /// <summary>The usage object of message_start, message_delta and a whole message.</summary>
    public static void WriteUsage(Utf8JsonWriter json, in MessagesUsage usage)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, usage.InputTokens);
        json.WriteNumber("cache_creation_input_tokens"u8, 0);
        json.WriteNumber("cache_read_input_tokens"u8, usage.CachedInputTokens);
        json.WriteNumber("output_tokens"u8, usage.OutputTokens);
        json.WriteEndObject();
    }

    private void WriteUsage(in MessagesUsage usage) => WriteUsage(_json, usage);

    private void BeginBlock(ReadOnlySpan<byte> type, int index, IBufferWriter<byte> output)
    {
        Begin(type, output);
        _json.WriteNumber("index"u8, index);
    }

    private void Begin(ReadOnlySpan<byte> type, IBufferWriter<byte> output)
    {
        output.Write("event: "u8);
        output.Write(type);
        output.Write("\ndata: "u8);
        _json.Reset(output);
        _json.WriteStartObject();
        _json.WriteString("type"u8, type);
    }

    private void End(IBufferWriter<byte> output)
    {
        _json.WriteEndObject();
        _json.Flush();
        output.Write("\n\n"u8);
    }
}
