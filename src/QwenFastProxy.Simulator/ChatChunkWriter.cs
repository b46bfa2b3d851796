using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// Writes one streamed chat completion as server-sent events in OpenAI's <c>chat.completion.chunk</c> format,
/// straight into Kestrel's response pipe, flushing after every frame so each chunk leaves as its own write
/// (which is what stream-repair code downstream has to cope with).
/// </summary>
internal sealed class ChatChunkWriter : IDisposable
{
    public const string ContentType = "text/event-stream";

    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> FrameEnd => "\n\n"u8;
    private static ReadOnlySpan<byte> DoneFrame => "data: [DONE]\n\n"u8;

    private readonly HttpContext _context;
    private readonly PipeWriter _body;
    private readonly Utf8JsonWriter _json;
    private readonly string _id;
    private readonly long _created;
    private readonly string _model;
    private readonly CancellationToken _aborted;

    public ChatChunkWriter(HttpContext context, string id, long created, string model)
    {
        _context = context;
        _body = context.Response.BodyWriter;
        _json = new Utf8JsonWriter(_body, JsonResponse.WriterOptions);
        _id = id;
        _created = created;
        _model = model;
        _aborted = context.RequestAborted;
    }

    /// <summary>Sets the status and SSE headers; they leave with the first frame.</summary>
    public void Start()
    {
        var response = _context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
    }

    /// <summary>The opening chunk: <c>delta: {"role":"assistant","content":""}</c>.</summary>
    public ValueTask WriteRoleAsync()
    {
        BeginChoiceChunk();
        _json.WriteString("role"u8, "assistant"u8);
        _json.WriteString("content"u8, ""u8);
        return EndChoiceChunkAsync(finishReason: null);
    }

    /// <summary>A frame whose data is exactly <paramref name="payload"/> (scripted streams: any bytes, even malformed).</summary>
    public async ValueTask WriteRawAsync(string payload)
    {
        _body.WriteAll(DataPrefix);
        _body.WriteAll(System.Text.Encoding.UTF8.GetBytes(payload));
        _body.WriteAll(FrameEnd);
        await _body.FlushAsync(_aborted).ConfigureAwait(false);
    }

    /// <summary>An incremental content delta.</summary>
    public ValueTask WriteContentAsync(string piece)
    {
        BeginChoiceChunk();
        _json.WriteString("content"u8, piece);
        return EndChoiceChunkAsync(finishReason: null);
    }

    /// <summary>A reasoning delta (thinking), which Qwen streams before the content.</summary>
    public ValueTask WriteReasoningAsync(string piece)
    {
        BeginChoiceChunk();
        _json.WriteString("reasoning_content"u8, piece);
        return EndChoiceChunkAsync(finishReason: null);
    }

    /// <summary>First fragment of a tool call: index, id, type and name, with empty arguments.</summary>
    public ValueTask WriteToolCallStartAsync(string callId, string functionName)
    {
        BeginChoiceChunk();
        _json.WriteStartArray("tool_calls"u8);
        _json.WriteStartObject();
        _json.WriteNumber("index"u8, 0);
        _json.WriteString("id"u8, callId);
        _json.WriteString("type"u8, "function"u8);
        _json.WriteStartObject("function"u8);
        _json.WriteString("name"u8, functionName);
        _json.WriteString("arguments"u8, ""u8);
        _json.WriteEndObject();
        _json.WriteEndObject();
        _json.WriteEndArray();
        return EndChoiceChunkAsync(finishReason: null);
    }

    /// <summary>A later tool-call fragment: only <c>index</c> and a piece of <c>function.arguments</c>.</summary>
    public ValueTask WriteToolArgumentsAsync(string piece)
    {
        BeginChoiceChunk();
        _json.WriteStartArray("tool_calls"u8);
        _json.WriteStartObject();
        _json.WriteNumber("index"u8, 0);
        _json.WriteStartObject("function"u8);
        _json.WriteString("arguments"u8, piece);
        _json.WriteEndObject();
        _json.WriteEndObject();
        _json.WriteEndArray();
        return EndChoiceChunkAsync(finishReason: null);
    }

    /// <summary>The closing choice chunk: empty delta and the finish reason.</summary>
    public ValueTask WriteFinishAsync(string finishReason)
    {
        BeginChoiceChunk();
        return EndChoiceChunkAsync(finishReason);
    }

    /// <summary>The <c>stream_options.include_usage</c> chunk: <c>choices: []</c> plus usage.</summary>
    public ValueTask WriteUsageAsync(int promptTokens, int completionTokens, int cachedTokens, int? reasoningTokens)
    {
        BeginFrame();
        _json.WriteStartArray("choices"u8);
        _json.WriteEndArray();
        ChatCompletionEndpoint.WriteUsage(_json, promptTokens, completionTokens, cachedTokens, reasoningTokens);
        _json.WriteEndObject();
        return EndFrameAsync();
    }

    /// <summary>
    /// Writes <c>data: [DONE]</c>. Resolves to whether the client was still connected when the last frame was
    /// handed to Kestrel, i.e. whether the stream finished normally.
    /// </summary>
    public async Task<bool> WriteDoneAsync()
    {
        var finished = !_aborted.IsCancellationRequested;
        _body.WriteAll(DoneFrame);
        // No token: the verdict is already taken, and a cancelled flush would only turn it into an exception.
        await _body.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return finished;
    }

    public void Dispose() => _json.Dispose();

    private void BeginFrame()
    {
        _body.WriteAll(DataPrefix);
        _json.Reset(_body);
        _json.WriteStartObject();
        _json.WriteString("id"u8, _id);
        _json.WriteString("object"u8, "chat.completion.chunk"u8);
        _json.WriteNumber("created"u8, _created);
        _json.WriteString("model"u8, _model);
    }

    private void BeginChoiceChunk()
    {
        BeginFrame();
        _json.WriteStartArray("choices"u8);
        _json.WriteStartObject();
        _json.WriteNumber("index"u8, 0);
        _json.WriteStartObject("delta"u8);
    }

    private ValueTask EndChoiceChunkAsync(string? finishReason)
    {
        _json.WriteEndObject();
        if (finishReason is null)
        {
            _json.WriteNull("finish_reason"u8);
        }
        else
        {
            _json.WriteString("finish_reason"u8, finishReason);
        }

        _json.WriteEndObject();
        _json.WriteEndArray();
        _json.WriteEndObject();
        return EndFrameAsync();
    }

    private async ValueTask EndFrameAsync()
    {
        // The JSON writer must hand its bytes to the pipe before the frame terminator goes after them.
        _json.Flush();
        _body.WriteAll(FrameEnd);
        await _body.FlushAsync(_aborted).ConfigureAwait(false);
        // Kestrel turns writes to a vanished client into no-ops; stop producing instead of streaming into the void.
        _aborted.ThrowIfCancellationRequested();
    }
}
