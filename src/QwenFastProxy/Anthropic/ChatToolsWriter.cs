using System.Text.Json;
using static QwenFastProxy.Anthropic.JsonFields;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// Writes the client tools of a validated Messages request as chat-completions functions, with
/// <c>tool_choice</c> and <c>parallel_tool_calls</c>. Anthropic lets the model call several tools in one
/// turn unless told otherwise, while DashScope calls one at a time unless asked, so parallel calls are
/// asked for explicitly.
/// </summary>
internal static class ChatToolsWriter
{
    /// <summary>Writes <c>tools</c>, <c>tool_choice</c> and <c>parallel_tool_calls</c>; nothing when no client tool is left.</summary>
    public static void Write(Utf8JsonWriter json, JsonElement root)
    {
        if (!TryGet(root, "tools"u8, out var tools) || !HasClientTool(tools))
        {
            // A tool_choice without tools is an error for chat completions, so it goes with them.
            return;
        }
        json.WriteStartArray("tools"u8);
        foreach (var tool in tools.EnumerateArray())
        {
            if (IsClientTool(tool))
            {
                WriteFunction(json, tool);
            }
        }
        json.WriteEndArray();

        var parallel = true;
        if (TryGet(root, "tool_choice"u8, out var choice))
        {
            WriteChoice(json, choice);
            parallel = !(TryGet(choice, "disable_parallel_tool_use"u8, out var disable) && disable.ValueKind == JsonValueKind.True);
        }
        json.WriteBoolean("parallel_tool_calls"u8, parallel);
    }

    private static bool HasClientTool(JsonElement tools)
    {
        foreach (var tool in tools.EnumerateArray())
        {
            if (IsClientTool(tool))
            {
                return true;
            }
        }
        return false;
    }

    private static void WriteFunction(Utf8JsonWriter json, JsonElement tool)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "function"u8);
        json.WriteStartObject("function"u8);
        json.WritePropertyName("name"u8);
        EscapedText.Write(json, tool.GetProperty("name"u8));
        if (TryGet(tool, "description"u8, out var description))
        {
            json.WritePropertyName("description"u8);
            EscapedText.Write(json, description);
        }
        json.WritePropertyName("parameters"u8);
        WriteParameters(json, tool);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// The input schema, as it is; an object schema without <c>properties</c> (a tool that takes no
    /// arguments) gets an empty one, which OpenAI-style function schemas require.
    /// </summary>
    private static void WriteParameters(Utf8JsonWriter json, JsonElement tool)
    {
        if (!TryGet(tool, "input_schema"u8, out var schema))
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "object"u8);
            json.WriteStartObject("properties"u8);
            json.WriteEndObject();
            json.WriteEndObject();
            return;
        }
        if (!TypeIs(schema, "object"u8) || schema.TryGetProperty("properties"u8, out _))
        {
            schema.WriteTo(json);
            return;
        }
        json.WriteStartObject();
        foreach (var property in schema.EnumerateObject())
        {
            property.WriteTo(json);
        }
        json.WriteStartObject("properties"u8);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteChoice(Utf8JsonWriter json, JsonElement choice)
    {
        if (TypeIs(choice, "tool"u8))
        {
            json.WriteStartObject("tool_choice"u8);
            json.WriteString("type"u8, "function"u8);
            json.WriteStartObject("function"u8);
            json.WritePropertyName("name"u8);
            EscapedText.Write(json, choice.GetProperty("name"u8));
            json.WriteEndObject();
            json.WriteEndObject();
            return;
        }
        json.WriteString("tool_choice"u8,
            TypeIs(choice, "any"u8) ? "required"u8
            : TypeIs(choice, "none"u8) ? "none"u8
            : "auto"u8);
    }
}
