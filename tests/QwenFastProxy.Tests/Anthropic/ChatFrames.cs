using System.Text.Json.Nodes;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>Chat completion SSE frames shaped the way Qwen streams them (the choice's index after its delta).</summary>
internal static class ChatFrames
{
    public const string Done = "data: [DONE]\n\n";

    public static string Role() => Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" });

    public static string Reasoning(string text) => Chunk(new JsonObject { ["content"] = null, ["reasoning_content"] = text });

    public static string Content(string text) => Chunk(new JsonObject { ["content"] = text, ["reasoning_content"] = null });

    /// <summary>One tool call delta; null leaves a field out, as later chunks do.</summary>
    public static string Tool(int index, string? id, string? name, string? arguments)
    {
        var function = new JsonObject();
        if (name is not null)
        {
            function["name"] = name;
        }
        if (arguments is not null)
        {
            function["arguments"] = arguments;
        }
        var call = new JsonObject { ["index"] = index };
        if (id is not null)
        {
            call["id"] = id;
            call["type"] = "function";
        }
        call["function"] = function;
        return Chunk(new JsonObject { ["content"] = null, ["tool_calls"] = new JsonArray(call) });
    }

    public static string Finish(string reason) => Chunk(new JsonObject(), reason);

    public static string Usage(int prompt, int completion, int cached = 0, int reasoning = 0) =>
        "data: " + new JsonObject
        {
            ["id"] = "chatcmpl-1",
            ["object"] = "chat.completion.chunk",
            ["choices"] = new JsonArray(),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = prompt,
                ["completion_tokens"] = completion,
                ["total_tokens"] = prompt + completion,
                ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cached },
                ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = reasoning },
            },
        }.ToJsonString() + "\n\n";

    private static string Chunk(JsonObject delta, string? finishReason = null) =>
        "data: " + new JsonObject
        {
            ["id"] = "chatcmpl-1",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1,
            ["model"] = "qwen3-coder-plus",
            ["choices"] = new JsonArray(new JsonObject { ["delta"] = delta, ["finish_reason"] = finishReason, ["index"] = 0, ["logprobs"] = null }),
        }.ToJsonString() + "\n\n";
}
