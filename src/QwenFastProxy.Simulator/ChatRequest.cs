using System.Runtime.InteropServices;
using System.Text.Json;

namespace QwenFastProxy.Simulator;

/// <summary>
/// The parts of a <c>/v1/chat/completions</c> body that steer the simulated answer. Parsed with
/// <see cref="JsonDocument"/> (no reflection) and detached from it, so the pooled document is returned at once.
/// </summary>
internal sealed class ChatRequest
{
    /// <summary>Used when a request names no model; real Qwen would reject it, but tests of other parts need not care.</summary>
    public const string DefaultModel = "qwen3-coder-plus";

    private ChatRequest(string model, bool stream, bool includeUsage, string? toolName, int promptCharacters,
        bool enableThinking, int? thinkingBudget)
    {
        EnableThinking = enableThinking;
        ThinkingBudget = thinkingBudget;
        Model = model;
        Stream = stream;
        IncludeUsage = includeUsage;
        ToolName = toolName;
        PromptCharacters = promptCharacters;
    }

    public string Model { get; }

    public bool Stream { get; }

    /// <summary><c>stream_options.include_usage</c>: a final <c>choices: []</c> chunk with usage is wanted.</summary>
    public bool IncludeUsage { get; }

    /// <summary>
    /// The function to call, or null for a text answer: set when the request offers tools and the conversation
    /// does not already end with a tool result (a model answers a tool result with text).
    /// </summary>
    public string? ToolName { get; }

    /// <summary><c>enable_thinking</c>: Qwen3's hybrid models reason in <c>reasoning_content</c> before answering.</summary>
    public bool EnableThinking { get; }

    /// <summary><c>thinking_budget</c>: the most reasoning tokens wanted, or null for no limit.</summary>
    public int? ThinkingBudget { get; }

    /// <summary>Approximate characters of message text (UTF-8 bytes as sent), the basis of <c>usage.prompt_tokens</c>.</summary>
    public int PromptCharacters { get; }

    /// <summary>Parses a request body; on failure <paramref name="error"/> is the message for a 400 answer.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, out ChatRequest? request, out string? error)
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

    private static string? Read(JsonElement root, out ChatRequest? request)
    {
        request = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "Request body must be a JSON object.";
        }

        var model = DefaultModel;
        if (root.TryGetProperty("model"u8, out var modelElement) && modelElement.ValueKind != JsonValueKind.Null)
        {
            if (modelElement.ValueKind != JsonValueKind.String)
            {
                return "'model' must be a string.";
            }

            model = modelElement.GetString()!;
        }

        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return "'messages' is required and must be an array.";
        }

        if (messages.GetArrayLength() == 0)
        {
            return "'messages' must not be empty.";
        }

        var promptCharacters = 0;
        string? lastRole = null;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                return "Every element of 'messages' must be an object.";
            }

            lastRole = message.TryGetProperty("role"u8, out var role) && role.ValueKind == JsonValueKind.String
                ? role.GetString()
                : null;
            if (message.TryGetProperty("content"u8, out var content))
            {
                promptCharacters += CountText(content);
            }
        }

        if (!TryReadBool(root, "stream"u8, out var stream))
        {
            return "'stream' must be a boolean.";
        }

        var includeUsage = false;
        if (root.TryGetProperty("stream_options"u8, out var streamOptions) && streamOptions.ValueKind == JsonValueKind.Object
            && !TryReadBool(streamOptions, "include_usage"u8, out includeUsage))
        {
            return "'stream_options.include_usage' must be a boolean.";
        }

        string? toolName = null;
        if (root.TryGetProperty("tools"u8, out var tools) && tools.ValueKind == JsonValueKind.Array
            && tools.GetArrayLength() > 0 && lastRole != "tool")
        {
            var first = tools[0];
            if (first.ValueKind != JsonValueKind.Object
                || !first.TryGetProperty("function"u8, out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String
                || name.GetString() is not { Length: > 0 } functionName)
            {
                return "'tools[0].function.name' is required.";
            }

            toolName = functionName;
        }

        if (!TryReadBool(root, "enable_thinking"u8, out var enableThinking))
        {
            return "'enable_thinking' must be a boolean.";
        }

        int? thinkingBudget = null;
        if (root.TryGetProperty("thinking_budget"u8, out var budget) && budget.ValueKind != JsonValueKind.Null)
        {
            if (budget.ValueKind != JsonValueKind.Number || !budget.TryGetInt32(out var value) || value < 1)
            {
                return "'thinking_budget' must be a positive integer.";
            }
            thinkingBudget = value;
        }

        request = new ChatRequest(model, stream, includeUsage, toolName, promptCharacters, enableThinking, thinkingBudget);
        return null;
    }

    private static bool TryReadBool(JsonElement owner, ReadOnlySpan<byte> name, out bool value)
    {
        value = false;
        if (!owner.TryGetProperty(name, out var element))
        {
            return true;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.True:
                value = true;
                return true;
            case JsonValueKind.False:
            case JsonValueKind.Null:
                return true;
            default:
                return false;
        }
    }

    // Raw UTF-8 length minus the quotes: close enough for a token estimate and, unlike GetString, allocation-free
    // for the large prompts load tests send.
    private static int TextLength(JsonElement text) => Math.Max(0, JsonMarshal.GetRawUtf8Value(text).Length - 2);

    // Content is a string or, in the multi-part form, an array of {"type":"text","text":...} parts.
    private static int CountText(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return TextLength(content);
            case JsonValueKind.Array:
                var total = 0;
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text"u8, out var text)
                        && text.ValueKind == JsonValueKind.String)
                    {
                        total += TextLength(text);
                    }
                }

                return total;
            default:
                return 0;
        }
    }
}
