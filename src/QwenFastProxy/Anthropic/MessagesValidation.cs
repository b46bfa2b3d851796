using System.Text.Json;
using static QwenFastProxy.Anthropic.JsonFields;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// Checks a Messages request before it is translated, so the translation never meets a shape it cannot
/// carry: the answer is the message of an <c>invalid_request_error</c>, naming the field by its path
/// (<c>messages.2.content.0</c>) as Anthropic does. Fields the translation ignores (metadata,
/// cache_control, service_tier, container, mcp_servers…) are not looked at.
/// </summary>
internal static class MessagesValidation
{
    /// <summary>The first problem found, or null when the request can be translated.</summary>
    public static string? FindError(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "the request body must be a JSON object";
        }
        if (!root.TryGetProperty("model"u8, out var model) || model.ValueKind != JsonValueKind.String)
        {
            return "model: a string is required";
        }
        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return "messages: an array is required";
        }
        if (messages.GetArrayLength() == 0)
        {
            return "messages: at least one message is required";
        }
        return FindScalarError(root)
            ?? FindSystemError(root)
            ?? FindMessagesError(messages)
            ?? FindToolsError(root)
            ?? FindToolChoiceError(root)
            ?? FindThinkingError(root);
    }

    private static string? FindScalarError(JsonElement root)
    {
        if (TryGet(root, "stream"u8, out var stream) && stream.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return "stream: a boolean is expected";
        }
        if (TryGet(root, "max_tokens"u8, out var maxTokens) && !(maxTokens.ValueKind == JsonValueKind.Number && maxTokens.TryGetInt32(out var max) && max > 0))
        {
            return "max_tokens: a positive integer is expected";
        }
        if (TryGet(root, "top_k"u8, out var topK) && !(topK.ValueKind == JsonValueKind.Number && topK.TryGetInt32(out _)))
        {
            return "top_k: an integer is expected";
        }
        if (TryGet(root, "temperature"u8, out var temperature) && temperature.ValueKind != JsonValueKind.Number)
        {
            return "temperature: a number is expected";
        }
        if (TryGet(root, "top_p"u8, out var topP) && topP.ValueKind != JsonValueKind.Number)
        {
            return "top_p: a number is expected";
        }
        if (TryGet(root, "stop_sequences"u8, out var stops))
        {
            if (stops.ValueKind != JsonValueKind.Array)
            {
                return "stop_sequences: an array of strings is expected";
            }
            var i = 0;
            foreach (var stop in stops.EnumerateArray())
            {
                if (stop.ValueKind != JsonValueKind.String)
                {
                    return $"stop_sequences.{i}: a string is expected";
                }
                i++;
            }
        }
        return null;
    }

    private static string? FindSystemError(JsonElement root)
    {
        if (!TryGet(root, "system"u8, out var system) || system.ValueKind == JsonValueKind.String)
        {
            return null;
        }
        if (system.ValueKind != JsonValueKind.Array)
        {
            return "system: a string or an array of text blocks is expected";
        }
        var i = 0;
        foreach (var block in system.EnumerateArray())
        {
            if (FindBlockShapeError(block, $"system.{i}") is { } shape)
            {
                return shape;
            }
            if (!TypeIs(block, "text"u8))
            {
                return $"system.{i}: content block type '{block.GetProperty("type").GetString()}' is not supported in system (text only)";
            }
            if (FindTextError(block, $"system.{i}") is { } text)
            {
                return text;
            }
            i++;
        }
        return null;
    }

    private static string? FindMessagesError(JsonElement messages)
    {
        var m = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = $"messages.{m}";
            if (message.ValueKind != JsonValueKind.Object)
            {
                return $"{path}: an object is expected";
            }
            var user = message.TryGetProperty("role"u8, out var role) && role.ValueKind == JsonValueKind.String && role.ValueEquals("user"u8);
            if (!user && !(role.ValueKind == JsonValueKind.String && role.ValueEquals("assistant"u8)))
            {
                return $"{path}.role: 'user' or 'assistant' is expected";
            }
            if (!message.TryGetProperty("content"u8, out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                return $"{path}.content: a string or an array of content blocks is expected";
            }
            if (content.ValueKind == JsonValueKind.Array)
            {
                var b = 0;
                foreach (var block in content.EnumerateArray())
                {
                    var error = user ? FindUserBlockError(block, $"{path}.content.{b}") : FindAssistantBlockError(block, $"{path}.content.{b}");
                    if (error is not null)
                    {
                        return error;
                    }
                    b++;
                }
            }
            m++;
        }
        return null;
    }

    private static string? FindUserBlockError(JsonElement block, string path)
    {
        if (FindBlockShapeError(block, path) is { } shape)
        {
            return shape;
        }
        if (TypeIs(block, "text"u8))
        {
            return FindTextError(block, path);
        }
        if (TypeIs(block, "image"u8))
        {
            return FindImageError(block, path);
        }
        if (TypeIs(block, "tool_result"u8))
        {
            return FindToolResultError(block, path);
        }
        return Unsupported(block, path, "a user message");
    }

    private static string? FindAssistantBlockError(JsonElement block, string path)
    {
        if (FindBlockShapeError(block, path) is { } shape)
        {
            return shape;
        }
        if (TypeIs(block, "text"u8))
        {
            return FindTextError(block, path);
        }
        if (TypeIs(block, "thinking"u8))
        {
            return block.TryGetProperty("thinking"u8, out var thinking) && thinking.ValueKind == JsonValueKind.String
                ? null
                : $"{path}.thinking: a string is expected";
        }
        if (TypeIs(block, "redacted_thinking"u8))
        {
            return null;
        }
        if (TypeIs(block, "tool_use"u8))
        {
            if (!block.TryGetProperty("id"u8, out var id) || id.ValueKind != JsonValueKind.String)
            {
                return $"{path}.id: a string is expected";
            }
            if (!block.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
            {
                return $"{path}.name: a string is expected";
            }
            return TryGet(block, "input"u8, out var input) && input.ValueKind != JsonValueKind.Object
                ? $"{path}.input: an object is expected"
                : null;
        }
        return Unsupported(block, path, "an assistant message");
    }

    private static string? FindToolResultError(JsonElement block, string path)
    {
        if (!block.TryGetProperty("tool_use_id"u8, out var id) || id.ValueKind != JsonValueKind.String)
        {
            return $"{path}.tool_use_id: a string is expected";
        }
        if (TryGet(block, "is_error"u8, out var isError) && isError.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return $"{path}.is_error: a boolean is expected";
        }
        if (!TryGet(block, "content"u8, out var content) || content.ValueKind == JsonValueKind.String)
        {
            return null;
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            return $"{path}.content: a string or an array of content blocks is expected";
        }
        var i = 0;
        foreach (var inner in content.EnumerateArray())
        {
            var innerPath = $"{path}.content.{i}";
            var error = FindBlockShapeError(inner, innerPath)
                ?? (TypeIs(inner, "text"u8) ? FindTextError(inner, innerPath)
                    : TypeIs(inner, "image"u8) ? FindImageError(inner, innerPath)
                    : Unsupported(inner, innerPath, "a tool result"));
            if (error is not null)
            {
                return error;
            }
            i++;
        }
        return null;
    }

    private static string? FindImageError(JsonElement block, string path)
    {
        if (!block.TryGetProperty("source"u8, out var source) || source.ValueKind != JsonValueKind.Object)
        {
            return $"{path}.source: an object is expected";
        }
        if (TypeIs(source, "base64"u8))
        {
            return IsString(source, "media_type"u8) && IsString(source, "data"u8)
                ? null
                : $"{path}.source: a base64 image needs the strings media_type and data";
        }
        if (TypeIs(source, "url"u8))
        {
            return IsString(source, "url"u8) ? null : $"{path}.source.url: a string is expected";
        }
        var type = source.TryGetProperty("type"u8, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return $"{path}.source: image source type '{type}' is not supported (base64 or url)";
    }

    private static string? FindToolsError(JsonElement root)
    {
        if (!TryGet(root, "tools"u8, out var tools))
        {
            return null;
        }
        if (tools.ValueKind != JsonValueKind.Array)
        {
            return "tools: an array is expected";
        }
        var i = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var path = $"tools.{i}";
            if (tool.ValueKind != JsonValueKind.Object)
            {
                return $"{path}: an object is expected";
            }
            if (IsClientTool(tool))
            {
                if (!IsString(tool, "name"u8))
                {
                    return $"{path}.name: a string is expected";
                }
                if (TryGet(tool, "description"u8, out var description) && description.ValueKind != JsonValueKind.String)
                {
                    return $"{path}.description: a string is expected";
                }
                if (TryGet(tool, "input_schema"u8, out var schema) && schema.ValueKind != JsonValueKind.Object)
                {
                    return $"{path}.input_schema: an object is expected";
                }
            }
            i++;
        }
        return null;
    }

    private static string? FindToolChoiceError(JsonElement root)
    {
        if (!TryGet(root, "tool_choice"u8, out var choice))
        {
            return null;
        }
        if (choice.ValueKind != JsonValueKind.Object)
        {
            return "tool_choice: an object is expected";
        }
        if (TypeIs(choice, "auto"u8) || TypeIs(choice, "any"u8) || TypeIs(choice, "none"u8))
        {
            return FindDisableParallelError(choice);
        }
        if (TypeIs(choice, "tool"u8))
        {
            return IsString(choice, "name"u8) ? FindDisableParallelError(choice) : "tool_choice.name: a string is expected";
        }
        return "tool_choice.type: 'auto', 'any', 'tool' or 'none' is expected";
    }

    private static string? FindDisableParallelError(JsonElement choice) =>
        TryGet(choice, "disable_parallel_tool_use"u8, out var value) && value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)
            ? "tool_choice.disable_parallel_tool_use: a boolean is expected"
            : null;

    private static string? FindThinkingError(JsonElement root)
    {
        if (!TryGet(root, "thinking"u8, out var thinking))
        {
            return null;
        }
        if (thinking.ValueKind != JsonValueKind.Object)
        {
            return "thinking: an object is expected";
        }
        if (TypeIs(thinking, "enabled"u8))
        {
            return TryGet(thinking, "budget_tokens"u8, out var budget) && !(budget.ValueKind == JsonValueKind.Number && budget.TryGetInt32(out var tokens) && tokens > 0)
                ? "thinking.budget_tokens: a positive integer is expected"
                : null;
        }
        return TypeIs(thinking, "disabled"u8) || TypeIs(thinking, "adaptive"u8)
            ? null
            : "thinking.type: 'enabled', 'adaptive' or 'disabled' is expected";
    }

    private static string? FindBlockShapeError(JsonElement block, string path) =>
        block.ValueKind == JsonValueKind.Object && IsString(block, "type"u8) ? null : $"{path}: a content block (an object with a type) is expected";

    private static string? FindTextError(JsonElement block, string path) =>
        IsString(block, "text"u8) ? null : $"{path}.text: a string is expected";

    private static string Unsupported(JsonElement block, string path, string place) =>
        $"{path}: content block type '{block.GetProperty("type"u8).GetString()}' is not supported in {place}";

    private static bool IsString(JsonElement obj, ReadOnlySpan<byte> name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String;
}
