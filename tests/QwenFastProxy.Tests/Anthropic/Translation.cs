using System.Buffers;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Anthropic;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>Runs a Messages body through <see cref="MessagesRequest"/> and hands back the chat request it writes.</summary>
internal static class Translation
{
    public const string UpstreamModel = "qwen3-coder-plus";

    /// <summary>The chat-completions body for <paramref name="body"/>, minified as written.</summary>
    public static string ChatJson(string body, bool modelThinks = false)
    {
        Assert.True(MessagesRequest.TryParse(Encoding.UTF8.GetBytes(body), out var request, out var error), error);
        using (request)
        {
            var output = new ArrayBufferWriter<byte>();
            request.WriteChatRequest(output, UpstreamModel, modelThinks);
            return Encoding.UTF8.GetString(output.WrittenSpan);
        }
    }

    public static JsonDocument Chat(string body, bool modelThinks = false) => JsonDocument.Parse(ChatJson(body, modelThinks));

    /// <summary>The chat messages for these Anthropic messages (a JSON array's text).</summary>
    public static JsonDocument Messages(string messages, string extra = "")
    {
        using var chat = Chat($$"""{"model":"claude-sonnet-4-5","max_tokens":1024,{{extra}}"messages":{{messages}}}""");
        return JsonDocument.Parse(chat.RootElement.GetProperty("messages").GetRawText());
    }

    public static string? ParseError(string body)
    {
        if (MessagesRequest.TryParse(Encoding.UTF8.GetBytes(body), out var request, out var error))
        {
            request.Dispose();
            return null;
        }
        return error;
    }

    public static string[] Keys(JsonElement obj) => [.. obj.EnumerateObject().Select(p => p.Name)];
}
