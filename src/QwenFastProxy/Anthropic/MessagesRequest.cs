using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using static QwenFastProxy.Anthropic.JsonFields;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// A client's Anthropic Messages request (<c>POST /v1/messages</c>), parsed and checked once, then written as
/// the chat-completions request Qwen answers (<see cref="WriteChatRequest"/>) and estimated in tokens
/// (<see cref="EstimateInputTokens"/>). It reads the body in place: the body must outlive it.
/// </summary>
internal sealed class MessagesRequest : IDisposable
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 128 };

    private readonly JsonDocument _document;

    private MessagesRequest(JsonDocument document)
    {
        _document = document;
        var root = document.RootElement;
        Model = root.GetProperty("model"u8).GetString()!;
        Stream = TryGet(root, "stream"u8, out var stream) && stream.ValueKind == JsonValueKind.True;
        ThinkingRequested = TryGet(root, "thinking"u8, out var thinking) && (TypeIs(thinking, "enabled"u8) || TypeIs(thinking, "adaptive"u8));
    }

    /// <summary>The model the client named (a Claude name, usually, for the caller to map).</summary>
    public string Model { get; }

    public bool Stream { get; }

    /// <summary>True when the client asked for thinking (<c>enabled</c>, or <c>adaptive</c>: the model decides how much).</summary>
    public bool ThinkingRequested { get; }

    /// <summary>
    /// Parses and checks a body; false with the message of an <c>invalid_request_error</c> when it is not a
    /// Messages request this proxy can translate.
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out MessagesRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, ParseOptions);
        }
        catch (JsonException)
        {
            error = "the request body is not valid JSON";
            return false;
        }
        error = MessagesValidation.FindError(document.RootElement);
        if (error is not null)
        {
            document.Dispose();
            return false;
        }
        request = new MessagesRequest(document);
        return true;
    }

    /// <summary>Writes the chat-completions body: <paramref name="upstreamModel"/> as the model, and DashScope's thinking switch only when <paramref name="modelThinks"/>.</summary>
    public void WriteChatRequest(IBufferWriter<byte> output, string upstreamModel, bool modelThinks) =>
        ChatRequestWriter.Write(output, _document.RootElement, upstreamModel, modelThinks);

    /// <summary>
    /// The input tokens, estimated (the answer to <c>count_tokens</c> and the first usage of a stream): a
    /// heuristic count of Qwen-style tokens (<see cref="TokenEstimate"/>) over the system text, the tools'
    /// names, descriptions and schemas, and the messages' texts, reasoning, tool calls and results, plus a
    /// fixed cost per message, tool and image (<see cref="InputTokenEstimate"/>).
    /// </summary>
    public int EstimateInputTokens() => InputTokenEstimate.Estimate(_document.RootElement);

    public void Dispose() => _document.Dispose();
}
