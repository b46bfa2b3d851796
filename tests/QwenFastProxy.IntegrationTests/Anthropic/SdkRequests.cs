using System.Text.Json;
using Anthropic.Models.Messages;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>The requests the tests send through the SDK, built with its own parameter types.</summary>
internal static class SdkRequests
{
    public const string ToolName = "search_docs";

    public static MessageCreateParams Text(string model = SdkProxy.Model, string prompt = "Fix my parser") => new()
    {
        Model = model,
        MaxTokens = 1024,
        Messages = [new UserMessageParam(prompt)],
    };

    /// <summary>Claude Code's shape: a system prompt, tools, and the conversation so far.</summary>
    public static MessageCreateParams WithTools(IReadOnlyList<MessageParam> messages, string model = SdkProxy.Model) => new()
    {
        Model = model,
        MaxTokens = 1024,
        System = "You are a coding agent. Use tools when they help.",
        Tools = [SearchDocs],
        Messages = messages,
    };

    public static MessageCreateParams Thinking(string model, long budget = 2048) => new()
    {
        Model = model,
        MaxTokens = 4096,
        Thinking = new ThinkingConfigEnabled(budget),
        Messages = [new UserMessageParam("Why does my parser crash on empty input?")],
    };

    public static Tool SearchDocs => new()
    {
        Name = ToolName,
        Description = "Search the project's documentation.",
        InputSchema = new InputSchema
        {
            Properties = new Dictionary<string, JsonElement> { ["query"] = Json("""{"type":"string"}""") },
            Required = ["query"],
        },
    };

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
