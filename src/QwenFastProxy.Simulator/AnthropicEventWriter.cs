using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// Writes one streamed Anthropic message as server-sent events (<c>event: name</c>, <c>data: json</c>, blank line)
/// straight into Kestrel's response pipe, flushing after every event so each leaves as its own write.
/// </summary>
internal sealed class AnthropicEventWriter : IDisposable
{
    private static ReadOnlySpan<byte> EventPrefix => "event: "u8;
    private static ReadOnlySpan<byte> DataPrefix => "\ndata: "u8;
    private static ReadOnlySpan<byte> FrameEnd => "\n\n"u8;

    private readonly HttpContext _context;
    private readonly PipeWriter _body;
    private readonly Utf8JsonWriter _json;
    private readonly CancellationToken _aborted;

    public AnthropicEventWriter(HttpContext context)
    {
        _context = context;
        _body = context.Response.BodyWriter;
        _json = new Utf8JsonWriter(_body, JsonResponse.WriterOptions);
        _aborted = context.RequestAborted;
    }

    /// <summary>Sets the status and SSE headers; they leave with the first event.</summary>
    public void Start()
    {
        var response = _context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ChatChunkWriter.ContentType;
        response.Headers.CacheControl = "no-cache";
    }

    /// <summary><c>message_start</c>: the message with empty content, no stop reason yet, and the input usage.</summary>
    public ValueTask WriteMessageStartAsync(string id, string model, int inputTokens, int cachedTokens)
    {
        Begin("message_start"u8);
        _json.WriteStartObject("message"u8);
        AnthropicMessagesEndpoint.WriteMessageHead(_json, id, model);
        _json.WriteStartArray("content"u8);
        _json.WriteEndArray();
        _json.WriteNull("stop_reason"u8);
        _json.WriteNull("stop_sequence"u8);
        // Anthropic reports a token or so of output here and the real count in message_delta.
        AnthropicMessagesEndpoint.WriteUsage(_json, inputTokens, 1, cachedTokens);
        _json.WriteEndObject();
        return EndAsync();
    }

    public ValueTask WritePingAsync()
    {
        Begin("ping"u8);
        return EndAsync();
    }

    public ValueTask WriteTextStartAsync(int index)
    {
        BeginBlockStart(index, "text"u8);
        _json.WriteString("text"u8, ""u8);
        return EndBlockStartAsync();
    }

    public ValueTask WriteThinkingStartAsync(int index)
    {
        BeginBlockStart(index, "thinking"u8);
        _json.WriteString("thinking"u8, ""u8);
        return EndBlockStartAsync();
    }

    public ValueTask WriteToolUseStartAsync(int index, string id, string name)
    {
        BeginBlockStart(index, "tool_use"u8);
        _json.WriteString("id"u8, id);
        _json.WriteString("name"u8, name);
        _json.WriteStartObject("input"u8);
        _json.WriteEndObject();
        return EndBlockStartAsync();
    }

    public ValueTask WriteTextDeltaAsync(int index, string text) => WriteDeltaAsync(index, "text_delta"u8, "text"u8, text);

    public ValueTask WriteThinkingDeltaAsync(int index, string thinking) => WriteDeltaAsync(index, "thinking_delta"u8, "thinking"u8, thinking);

    public ValueTask WriteSignatureDeltaAsync(int index, string signature) => WriteDeltaAsync(index, "signature_delta"u8, "signature"u8, signature);

    public ValueTask WriteInputJsonDeltaAsync(int index, string partialJson) => WriteDeltaAsync(index, "input_json_delta"u8, "partial_json"u8, partialJson);

    public ValueTask WriteBlockStopAsync(int index)
    {
        Begin("content_block_stop"u8);
        _json.WriteNumber("index"u8, index);
        return EndAsync();
    }

    /// <summary><c>message_delta</c>: the stop reason and the output tokens (cumulative, so the final count).</summary>
    public ValueTask WriteMessageDeltaAsync(string stopReason, int outputTokens)
    {
        Begin("message_delta"u8);
        _json.WriteStartObject("delta"u8);
        _json.WriteString("stop_reason"u8, stopReason);
        _json.WriteNull("stop_sequence"u8);
        _json.WriteEndObject();
        _json.WriteStartObject("usage"u8);
        _json.WriteNumber("output_tokens"u8, outputTokens);
        _json.WriteEndObject();
        return EndAsync();
    }

    /// <summary>
    /// Writes <c>message_stop</c>. Resolves to whether the client was still connected when the last event was handed
    /// to Kestrel, i.e. whether the stream finished normally.
    /// </summary>
    public async Task<bool> WriteMessageStopAsync()
    {
        var finished = !_aborted.IsCancellationRequested;
        Begin("message_stop"u8);
        _json.WriteEndObject();
        _json.Flush();
        _body.WriteAll(FrameEnd);
        // No token: the verdict is already taken, and a cancelled flush would only turn it into an exception.
        await _body.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return finished;
    }

    public void Dispose() => _json.Dispose();

    private ValueTask WriteDeltaAsync(int index, ReadOnlySpan<byte> deltaType, ReadOnlySpan<byte> field, string value)
    {
        Begin("content_block_delta"u8);
        _json.WriteNumber("index"u8, index);
        _json.WriteStartObject("delta"u8);
        _json.WriteString("type"u8, deltaType);
        _json.WriteString(field, value);
        _json.WriteEndObject();
        return EndAsync();
    }

    private void BeginBlockStart(int index, ReadOnlySpan<byte> blockType)
    {
        Begin("content_block_start"u8);
        _json.WriteNumber("index"u8, index);
        _json.WriteStartObject("content_block"u8);
        _json.WriteString("type"u8, blockType);
    }

    private ValueTask EndBlockStartAsync()
    {
        _json.WriteEndObject();
        return EndAsync();
    }

    // The event name is repeated as the data's "type", as Anthropic does.
    private void Begin(ReadOnlySpan<byte> name)
    {
        _body.WriteAll(EventPrefix);
        _body.WriteAll(name);
        _body.WriteAll(DataPrefix);
        _json.Reset(_body);
        _json.WriteStartObject();
        _json.WriteString("type"u8, name);
    }

    private async ValueTask EndAsync()
    {
        _json.WriteEndObject();
        // The JSON writer must hand its bytes to the pipe before the frame terminator goes after them.
        _json.Flush();
        _body.WriteAll(FrameEnd);
        await _body.FlushAsync(_aborted).ConfigureAwait(false);
        // Kestrel turns writes to a vanished client into no-ops; stop producing instead of streaming into the void.
        _aborted.ThrowIfCancellationRequested();
    }
}
