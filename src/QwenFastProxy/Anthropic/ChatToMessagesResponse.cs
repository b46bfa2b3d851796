using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// Turns a whole (non-streamed) chat completion into an Anthropic Messages response: thinking from
/// <c>reasoning_content</c>, then text, then one tool_use block per tool call, with the stop reason and usage.
/// </summary>
internal static class ChatToMessagesResponse
{
    /// <summary>False when the JSON is not a chat completion with a choice (an error body, for instance); nothing is written then.</summary>
    public static bool TryWrite(ReadOnlySpan<byte> chatCompletionJson, string model, IBufferWriter<byte> output)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(chatCompletionJson.ToArray());
        }
        catch (JsonException)
        {
            return false;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("choices", out var choices)
                || choices.ValueKind != JsonValueKind.Array
                || FirstChoice(choices) is not { } choice)
            {
                return false;
            }
            var message = choice.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
            MessagesStopReason? finishReason = choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String
                ? MessagesStopReasons.FromFinishReason(Encoding.UTF8.GetBytes(f.GetString()!))
                : null;
            var usage = root.TryGetProperty("usage", out var u) ? ChatUsageReader.Read(u) : default;

            using var json = new Utf8JsonWriter(output);
            json.WriteStartObject();
            var upstreamId = root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            json.WriteString("id"u8, MessageIds.From(upstreamId));
            json.WriteString("type"u8, "message"u8);
            json.WriteString("role"u8, "assistant"u8);
            json.WriteString("model"u8, model);
            json.WriteStartArray("content"u8);
            var emittedToolUse = message.ValueKind == JsonValueKind.Object && WriteContent(json, message);
            json.WriteEndArray();
            json.WriteString("stop_reason"u8, MessagesStopReasons.Utf8Name(MessagesStopReasons.Resolve(finishReason, emittedToolUse)));
            json.WriteNull("stop_sequence"u8);
            MessagesEventWriter.WriteUsage(json, usage);
            json.WriteEndObject();
            json.Flush();
            return true;
        }
    }

    private static JsonElement? FirstChoice(JsonElement choices)
    {
        JsonElement? first = null;
        foreach (var choice in choices.EnumerateArray())
        {
            if (choice.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            if (choice.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number && index.TryGetInt32(out var value) && value == 0)
            {
                return choice;
            }
            first ??= choice;
        }
        return first;
    }

    // Returns true when a tool_use block was written.
    private static bool WriteContent(Utf8JsonWriter json, JsonElement message)
    {
        if (NonEmptyString(message, "reasoning_content") is { } reasoning)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "thinking"u8);
            json.WritePropertyName("thinking"u8);
            json.WriteRawValue(JsonMarshal.GetRawUtf8Value(reasoning), skipInputValidation: true);
            json.WriteString("signature"u8, ""u8); // Qwen signs nothing; see MessagesEventWriter.SignatureDelta
            json.WriteEndObject();
        }
        if (NonEmptyString(message, "content") is { } content)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "text"u8);
            json.WritePropertyName("text"u8);
            json.WriteRawValue(JsonMarshal.GetRawUtf8Value(content), skipInputValidation: true);
            json.WriteEndObject();
        }
        var wroteTool = false;
        if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                wroteTool |= WriteToolUse(json, call);
            }
        }
        return wroteTool;
    }

    private static bool WriteToolUse(Utf8JsonWriter json, JsonElement call)
    {
        if (call.ValueKind != JsonValueKind.Object
            || !call.TryGetProperty("function", out var function)
            || function.ValueKind != JsonValueKind.Object
            || NonEmptyString(function, "name") is not { } name)
        {
            return false; // a call without a name cannot be run
        }
        json.WriteStartObject();
        json.WriteString("type"u8, "tool_use"u8);
        if (NonEmptyString(call, "id") is { } id)
        {
            json.WritePropertyName("id"u8);
            json.WriteRawValue(JsonMarshal.GetRawUtf8Value(id), skipInputValidation: true);
        }
        else
        {
            json.WriteString("id"u8, "toolu_" + Guid.NewGuid().ToString("N"));
        }
        json.WritePropertyName("name"u8);
        json.WriteRawValue(JsonMarshal.GetRawUtf8Value(name), skipInputValidation: true);
        json.WritePropertyName("input"u8);
        WriteInput(json, function.TryGetProperty("arguments", out var arguments) ? arguments : default);
        json.WriteEndObject();
        return true;
    }

    // input must be an object: arguments that are empty (a call without parameters), not valid JSON (cut off by
    // max_tokens, say) or JSON of another shape become {} rather than failing the whole answer.
    private static void WriteInput(Utf8JsonWriter json, JsonElement arguments)
    {
        if (arguments.ValueKind == JsonValueKind.Object)
        {
            arguments.WriteTo(json); // some upstreams send the object itself
            return;
        }
        if (arguments.ValueKind == JsonValueKind.String && arguments.GetString() is { Length: > 0 } text)
        {
            try
            {
                using var parsed = JsonDocument.Parse(text);
                if (parsed.RootElement.ValueKind == JsonValueKind.Object)
                {
                    parsed.RootElement.WriteTo(json);
                    return;
                }
            }
            catch (JsonException)
            {
                // falls through to {}
            }
        }
        json.WriteStartObject();
        json.WriteEndObject();
    }

    private static JsonElement? NonEmptyString(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !value.ValueEquals(""u8) ? value : null;
}
