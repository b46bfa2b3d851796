using System.Text.Json;
using static QwenFastProxy.Anthropic.JsonFields;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// Estimates the input tokens of a validated Messages request without a tokenizer: <see cref="TokenEstimate"/>
/// over the system text, each client tool's name, description and input schema (as JSON text), and each
/// message's texts, reasoning, tool calls (name and input as JSON text) and tool results; plus what the
/// chat template adds around them (<see cref="PerMessage"/>, <see cref="PerTool"/>, <see cref="ReplyStart"/>)
/// and a fixed <see cref="PerImage"/> for each image, whose size is not known without decoding it.
/// </summary>
internal static class InputTokenEstimate
{
    /// <summary>Qwen's template opens a message with its role and closes it: <c>&lt;|im_start|&gt;role\n … &lt;|im_end|&gt;\n</c>.</summary>
    public const int PerMessage = 5;

    /// <summary>Each tool is rendered as a function object in the system prompt: its keys and braces.</summary>
    public const int PerTool = 12;

    /// <summary>The assistant turn the model is started on.</summary>
    public const int ReplyStart = 3;

    /// <summary>An image of middling size as a vision model sees it (a few hundred patches).</summary>
    public const int PerImage = 800;

    public static int Estimate(JsonElement root)
    {
        var tokens = ReplyStart;
        if (TryGet(root, "system"u8, out var system))
        {
            tokens += PerMessage + Content(system);
        }
        if (TryGet(root, "tools"u8, out var tools))
        {
            foreach (var tool in tools.EnumerateArray())
            {
                if (IsClientTool(tool))
                {
                    tokens += PerTool + TokenEstimate.CountString(tool.GetProperty("name"u8))
                        + (TryGet(tool, "description"u8, out var description) ? TokenEstimate.CountString(description) : 0)
                        + (TryGet(tool, "input_schema"u8, out var schema) ? TokenEstimate.CountJson(schema) : 0);
                }
            }
        }
        foreach (var message in root.GetProperty("messages"u8).EnumerateArray())
        {
            tokens += PerMessage + Content(message.GetProperty("content"u8));
        }
        return tokens;
    }

    /// <summary>A string, or the blocks of an array (those that carry no text cost nothing).</summary>
    private static int Content(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return TokenEstimate.CountString(content);
        }
        var tokens = 0;
        foreach (var block in content.EnumerateArray())
        {
            tokens += Block(block);
        }
        return tokens;
    }

    private static int Block(JsonElement block)
    {
        if (TypeIs(block, "text"u8))
        {
            return TokenEstimate.CountString(block.GetProperty("text"u8));
        }
        if (TypeIs(block, "thinking"u8))
        {
            return TokenEstimate.CountString(block.GetProperty("thinking"u8));
        }
        if (TypeIs(block, "image"u8))
        {
            return PerImage;
        }
        if (TypeIs(block, "tool_use"u8))
        {
            return PerMessage + TokenEstimate.CountString(block.GetProperty("name"u8))
                + (TryGet(block, "input"u8, out var input) ? TokenEstimate.CountJson(input) : 0);
        }
        if (TypeIs(block, "tool_result"u8))
        {
            return PerMessage + (TryGet(block, "content"u8, out var content) ? Content(content) : 0);
        }
        return 0;
    }
}
