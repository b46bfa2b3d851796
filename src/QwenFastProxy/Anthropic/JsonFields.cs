using System.Text.Json;

namespace QwenFastProxy.Anthropic;

/// <summary>Reading the fields of the client's request, where an explicit null means the same as absent (SDKs write both).</summary>
internal static class JsonFields
{
    public static bool TryGet(JsonElement obj, ReadOnlySpan<byte> name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>True when the object's <c>type</c> is the string <paramref name="type"/>.</summary>
    public static bool TypeIs(JsonElement obj, ReadOnlySpan<byte> type) =>
        obj.TryGetProperty("type"u8, out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(type);

    /// <summary>
    /// Anthropic server tools (web search, code execution, bash, text editor, computer use…) carry a
    /// versioned <c>type</c>; they run at Anthropic, so Qwen has nothing to call and they are left out.
    /// Client tools have no type or <c>custom</c>.
    /// </summary>
    public static bool IsClientTool(JsonElement tool) =>
        !tool.TryGetProperty("type"u8, out var type) || type.ValueKind == JsonValueKind.Null || TypeIs(tool, "custom"u8);
}
