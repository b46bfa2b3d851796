using System.Text.Json;

namespace QwenFastProxy.Simulator;

/// <summary>
/// The parts of an Anthropic Messages body that steer the simulated answer, parsed with <see cref="JsonDocument"/>
/// (no reflection) and detached from it. Input tokens are counted here, over everything the model would read.
/// </summary>
internal sealed class AnthropicRequest
{
    private AnthropicRequest(string model, bool stream, int? thinkingBudget, bool thinking, string? toolName, int inputTokens)
    {
        Model = model;
        Stream = stream;
        ThinkingBudget = thinkingBudget;
        Thinking = thinking;
        ToolName = toolName;
        InputTokens = inputTokens;
    }

    public string Model { get; }

    public bool Stream { get; }

    /// <summary><c>thinking: {"type":"enabled"}</c>: a thinking block comes before the text.</summary>
    public bool Thinking { get; }

    /// <summary><c>thinking.budget_tokens</c>, when thinking is on.</summary>
    public int? ThinkingBudget { get; }

    /// <summary>
    /// The tool to call, or null for a text answer: set when the request offers tools and its last user message does
    /// not end with a <c>tool_result</c> (a model answers a tool result with text), as on the chat route.
    /// </summary>
    public string? ToolName { get; }

    /// <summary>Tokens of the system text, the messages (with the template's per-message overhead) and the tool definitions.</summary>
    public int InputTokens { get; }

    /// <summary>Parses a request body; on failure <paramref name="error"/> is the message for a 400 answer.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, out AnthropicRequest? request, out string? error)
    {
        request = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            error = "Request body is not valid JSON: " + ex.Message;
            return false;
        }

        using (document)
        {
            error = Read(document.RootElement, out request);
            return error is null;
        }
    }

    private static string? Read(JsonElement root, out AnthropicRequest? request)
    {
        request = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "Request body must be a JSON object.";
        }

        var model = ChatRequest.DefaultModel;
        if (root.TryGetProperty("model"u8, out var modelElement) && modelElement.ValueKind != JsonValueKind.Null)
        {
            if (modelElement.ValueKind != JsonValueKind.String)
            {
                return "model: Input should be a valid string";
            }
            model = modelElement.GetString()!;
        }

        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return "messages: Field required";
        }
        if (messages.GetArrayLength() == 0)
        {
            return "messages: at least one message is required";
        }

        if (root.TryGetProperty("max_tokens"u8, out var maxTokens) && maxTokens.ValueKind != JsonValueKind.Null
            && (!maxTokens.TryGetInt32(out var max) || max < 1))
        {
            return "max_tokens: Input should be a positive integer";
        }

        var stream = false;
        if (root.TryGetProperty("stream"u8, out var streamElement))
        {
            if (streamElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            {
                return "stream: Input should be a valid boolean";
            }
            stream = streamElement.ValueKind == JsonValueKind.True;
        }

        var inputTokens = 0;
        if (root.TryGetProperty("system"u8, out var system))
        {
            inputTokens += TokenCount.PerMessage + CountContent(system);
        }

        var endsInToolResult = false;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object
                || !message.TryGetProperty("role"u8, out var role) || role.ValueKind != JsonValueKind.String)
            {
                return "messages: every message must be an object with a 'role'";
            }
            message.TryGetProperty("content"u8, out var content);
            inputTokens += TokenCount.PerMessage + CountContent(content);
            endsInToolResult = role.ValueEquals("user"u8) && content.ValueKind == JsonValueKind.Array
                && content.GetArrayLength() > 0 && IsType(content[content.GetArrayLength() - 1], "tool_result"u8);
        }

        var thinking = false;
        int? thinkingBudget = null;
        if (root.TryGetProperty("thinking"u8, out var thinkingElement) && thinkingElement.ValueKind != JsonValueKind.Null)
        {
            if (IsType(thinkingElement, "enabled"u8))
            {
                if (!thinkingElement.TryGetProperty("budget_tokens"u8, out var budget) || !budget.TryGetInt32(out var tokens) || tokens < 1)
                {
                    return "thinking.enabled.budget_tokens: Field required (a positive integer)";
                }
                thinking = true;
                thinkingBudget = tokens;
            }
            else if (!IsType(thinkingElement, "disabled"u8))
            {
                return "thinking.type: Input should be 'enabled' or 'disabled'";
            }
        }

        string? toolName = null;
        if (root.TryGetProperty("tools"u8, out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                // The model reads the definitions as JSON in its system prompt, so their JSON text is what counts.
                inputTokens += TokenCount.Of(tool.GetRawText());
            }
            var first = tools[0];
            if (first.ValueKind != JsonValueKind.Object
                || !first.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String
                || name.GetString() is not { Length: > 0 } firstName)
            {
                return "tools.0.name: Field required";
            }
            toolName = endsInToolResult ? null : firstName;
        }

        request = new AnthropicRequest(model, stream, thinkingBudget, thinking, toolName, inputTokens);
        return null;
    }

    private static bool IsType(JsonElement block, ReadOnlySpan<byte> type) =>
        block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type"u8, out var value)
        && value.ValueKind == JsonValueKind.String && value.ValueEquals(type);

    // Content is a string or an array of blocks: text, thinking, tool_use (name and input) and tool_result (itself
    // content) are read; images and documents are not counted.
    private static int CountContent(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return TokenCount.Of(content.GetString());
            case JsonValueKind.Array:
                var total = 0;
                foreach (var block in content.EnumerateArray())
                {
                    total += CountBlock(block);
                }
                return total;
            default:
                return 0;
        }
    }

    private static int CountBlock(JsonElement block)
    {
        if (block.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }
        if (IsType(block, "text"u8) && block.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
        {
            return TokenCount.Of(text.GetString());
        }
        if (IsType(block, "thinking"u8) && block.TryGetProperty("thinking"u8, out var thought) && thought.ValueKind == JsonValueKind.String)
        {
            return TokenCount.Of(thought.GetString());
        }
        if (IsType(block, "tool_use"u8))
        {
            var total = 0;
            if (block.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String)
            {
                total += TokenCount.Of(name.GetString());
            }
            if (block.TryGetProperty("input"u8, out var input))
            {
                total += TokenCount.Of(input.GetRawText());
            }
            return total;
        }
        if (IsType(block, "tool_result"u8) && block.TryGetProperty("content"u8, out var result))
        {
            return CountContent(result);
        }
        return 0;
    }
}
