using System.Buffers;
using System.Text.Json;
using QwenFastProxy.Buffers;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// Turns one chat completion SSE stream (whole frames, as the stream repair writes them) into the Anthropic
/// Messages event stream: one message_start, content blocks strictly one after another (thinking from
/// <c>reasoning_content</c>, text from <c>content</c>, tool_use from <c>tool_calls</c>), then one message_delta and
/// one message_stop. Only choice 0 is translated: a Messages answer has one. One translator serves one exchange at
/// a time; <see cref="Begin"/> starts the next.
/// </summary>
/// <remarks>
/// Tool calls take turns: a tool call's block opens once its id and name are known and no other tool block is
/// open; until then its arguments are held and go out as its first input_json_delta. The open tool block keeps its
/// turn until thinking or text arrives, the choice finishes, or the stream ends, so bytes of interleaved tool calls
/// are never lost; the price is that a second tool call streaming behind the first is delivered in one piece when
/// the first one's turn ends.
/// </remarks>
internal sealed class MessagesStreamTranslator : IDisposable
{
    private const int KeepAtMost = 16 * 1024;

    private readonly MessagesEventWriter _events = new();
    private readonly List<ToolCallBuffer> _tools = [];
    private readonly PooledBytes _joinedData = new();
    private readonly PooledBytes _scratch = new();
    private int _toolCount;
    private string _messageId = "";
    private bool _started;
    private int _nextBlock;
    private int _openBlock = -1;
    private ContentBlockKind _openKind;
    private ToolCallBuffer? _openTool;
    private bool _emittedToolUse;
    private MessagesStopReason? _finishReason;
    private MessagesUsage _reportedUsage;
    private int _inputEstimate;
    private long _outputBytes;

    /// <summary>message_stop was written: nothing more will be.</summary>
    public bool Finished { get; private set; }

    /// <summary>True once the upstream reported usage; otherwise <see cref="Usage"/> is an estimate.</summary>
    public bool UsageReported { get; private set; }

    /// <summary>The upstream's token counts, or the input estimate and about four bytes of output per token.</summary>
    public MessagesUsage Usage => UsageReported
        ? _reportedUsage
        : new MessagesUsage(_inputEstimate, 0, (int)Math.Min(int.MaxValue, (_outputBytes + 3) / 4), 0);

    /// <summary>Content blocks written so far.</summary>
    public int Blocks => _nextBlock;

    /// <summary>Data frames that were neither JSON objects nor <c>[DONE]</c>; they are skipped.</summary>
    public int MalformedFrames { get; private set; }

    /// <summary>
    /// Tool calls that could not be delivered: no name by the end, or argument bytes for a tool block that had
    /// already closed, or held calls of a failed stream.
    /// </summary>
    public int DroppedToolCalls { get; private set; }

    /// <summary>Starts the exchange: message_start with the input estimate, then one ping, as the Messages API does.</summary>
    public void Begin(string messageId, string model, int inputTokensEstimate, IBufferWriter<byte> output)
    {
        Reset();
        _messageId = messageId;
        _inputEstimate = inputTokensEstimate;
        _started = true;
        _events.MessageStart(messageId, model, inputTokensEstimate, output);
        _events.Ping(output);
    }

    /// <summary>Forgets the exchange; large buffers go back to the pool.</summary>
    public void Reset()
    {
        for (var i = 0; i < _toolCount; i++)
        {
            _tools[i].Start(-1);
        }
        _toolCount = 0;
        _joinedData.Reset(KeepAtMost);
        _scratch.Reset(KeepAtMost);
        _messageId = "";
        _started = false;
        _nextBlock = 0;
        _openBlock = -1;
        _openKind = ContentBlockKind.None;
        _openTool = null;
        _emittedToolUse = false;
        _finishReason = null;
        _reportedUsage = default;
        _inputEstimate = 0;
        _outputBytes = 0;
        Finished = false;
        UsageReported = false;
        MalformedFrames = 0;
        DroppedToolCalls = 0;
    }

    /// <summary>Translates one or more complete chat SSE frames. <c>[DONE]</c> finishes the message.</summary>
    public void Translate(ReadOnlySpan<byte> chatSseFrames, IBufferWriter<byte> output)
    {
        EnsureStarted();
        while (!Finished && ChatSseFrames.TryNext(ref chatSseFrames, out var frame))
        {
            TranslateFrame(frame, output);
        }
    }

    /// <summary>A keep-alive for a client waiting on a slow upstream.</summary>
    public void Ping(IBufferWriter<byte> output)
    {
        if (_started && !Finished)
        {
            _events.Ping(output);
        }
    }

    /// <summary>Ends the message normally: closes what is open, delivers held tool calls, message_delta, message_stop.</summary>
    public void Finish(IBufferWriter<byte> output)
    {
        EnsureStarted();
        if (Finished)
        {
            return;
        }
        CloseOpenBlock(output);
        DeliverHeldToolCalls(output);
        _events.MessageDelta(MessagesStopReasons.Resolve(_finishReason, _emittedToolUse), Usage, output);
        _events.MessageStop(output);
        Finished = true;
    }

    /// <summary>
    /// Ends a broken stream: closes the open block, writes an error event, then message_delta and message_stop so a
    /// client that reads past the error does not wait forever. Held tool calls are incomplete and dropped.
    /// </summary>
    public void Fail(string errorType, string message, IBufferWriter<byte> output)
    {
        EnsureStarted();
        if (Finished)
        {
            return;
        }
        CloseOpenBlock(output);
        for (var i = 0; i < _toolCount; i++)
        {
            if (_tools[i].Phase == ToolCallPhase.Pending)
            {
                _tools[i].Phase = ToolCallPhase.Closed;
                DroppedToolCalls++;
            }
        }
        _events.Error(errorType, message, output);
        _events.MessageDelta(MessagesStopReasons.Resolve(_finishReason, _emittedToolUse), Usage, output);
        _events.MessageStop(output);
        Finished = true;
    }

    public void Dispose()
    {
        foreach (var tool in _tools)
        {
            tool.Dispose();
        }
        _joinedData.Dispose();
        _scratch.Dispose();
        _events.Dispose();
    }

    private void EnsureStarted()
    {
        if (!_started)
        {
            throw new InvalidOperationException("Begin must start the exchange first.");
        }
    }

    private void TranslateFrame(ReadOnlySpan<byte> frame, IBufferWriter<byte> output)
    {
        var isErrorEvent = false;
        var dataLines = 0;
        ReadOnlySpan<byte> data = default;
        foreach (var line in SseFrameParser.Lines(frame))
        {
            if (SseFrameParser.TryGetData(line, out var value))
            {
                if (++dataLines == 1)
                {
                    data = value;
                }
                else
                {
                    // Several data lines are one value joined by line feeds, as in the SSE specification.
                    if (dataLines == 2)
                    {
                        _joinedData.Set(data);
                    }
                    _joinedData.Append("\n"u8);
                    _joinedData.Append(value);
                }
            }
            else if (line.StartsWith("event:"u8))
            {
                isErrorEvent = line[6..].Trim((byte)' ').SequenceEqual("error"u8);
            }
        }
        if (dataLines == 0)
        {
            return; // comments and keep-alives
        }
        if (dataLines > 1)
        {
            data = _joinedData.Span;
        }
        if (data.Trim(" \t"u8).SequenceEqual("[DONE]"u8))
        {
            Finish(output);
            return;
        }
        TranslateChunk(data, isErrorEvent, output);
    }

    private void TranslateChunk(ReadOnlySpan<byte> json, bool isErrorEvent, IBufferWriter<byte> output)
    {
        // One validating pass first: nothing of a malformed frame is written.
        int deltaStart = -1, deltaEnd = -1;
        MessagesStopReason? finishReason = null;
        string? error = null;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                MalformedFrames++;
                return;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        ReadChoices(ref reader, ref deltaStart, ref deltaEnd, ref finishReason);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        _reportedUsage = ChatUsageReader.Read(ref reader);
                        UsageReported = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    error = ReadErrorMessage(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                MalformedFrames++;
                return;
            }
        }
        catch (JsonException)
        {
            MalformedFrames++;
            return;
        }

        if (error is not null || isErrorEvent)
        {
            Fail("api_error", string.IsNullOrEmpty(error) ? "The upstream reported an error." : error, output);
            return;
        }
        if (deltaStart >= 0)
        {
            TranslateDelta(json[deltaStart..deltaEnd], output);
        }
        if (finishReason is { } reason)
        {
            // The choice is complete: its last block closes and held tool calls take their turns now.
            _finishReason = reason;
            CloseOpenBlock(output);
            DeliverHeldToolCalls(output);
        }
    }

    private static void ReadChoices(ref Utf8JsonReader reader, ref int deltaStart, ref int deltaEnd, ref MessagesStopReason? finishReason)
    {
        var position = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                position++;
                continue;
            }
            int index = position, start = -1, end = -1;
            MessagesStopReason? reason = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
                    {
                        index = value;
                    }
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        end = (int)reader.BytesConsumed;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        reason = MessagesStopReasons.FromFinishReason(reader.ValueSpan);
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            // "index" may follow "delta" (Qwen writes it last), so the choice is judged once it is read whole.
            if (index == 0)
            {
                (deltaStart, deltaEnd) = (start, end);
                finishReason = reason;
            }
            position++;
        }
    }

    private static string ReadErrorMessage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString() ?? "";
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return "";
        }
        var message = "";
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMessage = reader.ValueTextEquals("message"u8);
            reader.Read();
            if (isMessage && reader.TokenType == JsonTokenType.String)
            {
                message = reader.GetString() ?? "";
            }
            else
            {
                reader.Skip();
            }
        }
        return message;
    }

    // The delta was validated by the first pass.
    private void TranslateDelta(ReadOnlySpan<byte> delta, IBufferWriter<byte> output)
    {
        var reader = new Utf8JsonReader(delta);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var kind = reader.ValueTextEquals("content"u8) ? ContentBlockKind.Text
                : reader.ValueTextEquals("reasoning_content"u8) ? ContentBlockKind.Thinking
                : reader.ValueTextEquals("tool_calls"u8) ? ContentBlockKind.ToolUse
                : ContentBlockKind.None;
            reader.Read();
            if (kind is ContentBlockKind.Text or ContentBlockKind.Thinking && reader.TokenType == JsonTokenType.String)
            {
                WriteText(kind, RawToken(delta, ref reader), output);
            }
            else if (kind == ContentBlockKind.ToolUse && reader.TokenType == JsonTokenType.StartArray)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    TranslateToolCall(delta, ref reader, output);
                }
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private void TranslateToolCall(ReadOnlySpan<byte> delta, ref Utf8JsonReader reader, IBufferWriter<byte> output)
    {
        var index = 0;
        ReadOnlySpan<byte> id = default, name = default, arguments = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
                {
                    index = value;
                }
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.TokenType == JsonTokenType.String ? RawToken(delta, ref reader) : default;
            }
            else if (reader.ValueTextEquals("function"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isName = reader.ValueTextEquals("name"u8);
                    var isArguments = !isName && reader.ValueTextEquals("arguments"u8);
                    reader.Read();
                    if (isName && reader.TokenType == JsonTokenType.String)
                    {
                        name = RawToken(delta, ref reader);
                    }
                    else if (isArguments && reader.TokenType == JsonTokenType.String)
                    {
                        arguments = RawToken(delta, ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        OnToolCall(index, id, name, arguments, output);
    }

    // A string token, quotes and escapes as sent.
    private static ReadOnlySpan<byte> RawToken(ReadOnlySpan<byte> json, scoped ref Utf8JsonReader reader) =>
        json[(int)reader.TokenStartIndex..(int)reader.BytesConsumed];

    private static bool IsEmptyString(ReadOnlySpan<byte> rawToken) => rawToken.Length <= 2;

    private void WriteText(ContentBlockKind kind, ReadOnlySpan<byte> rawString, IBufferWriter<byte> output)
    {
        if (IsEmptyString(rawString))
        {
            return;
        }
        if (_openKind != kind)
        {
            CloseOpenBlock(output);
            _openKind = kind;
            _openBlock = _nextBlock++;
            _events.BlockStart(_openBlock, kind, output);
        }
        _outputBytes += rawString.Length - 2;
        _events.TextDelta(_openBlock, kind, rawString, output);
    }

    private void OnToolCall(int index, ReadOnlySpan<byte> id, ReadOnlySpan<byte> name, ReadOnlySpan<byte> arguments, IBufferWriter<byte> output)
    {
        var tool = FindOrAddTool(index);
        var hasArguments = !IsEmptyString(arguments);
        switch (tool.Phase)
        {
            case ToolCallPhase.Open:
                if (hasArguments)
                {
                    _outputBytes += arguments.Length - 2;
                    tool.SentArguments = true;
                    _events.InputJsonDelta(tool.Block, arguments, output);
                }
                return;
            case ToolCallPhase.Closed:
                if (hasArguments)
                {
                    DroppedToolCalls++; // its block is closed: the Messages format has no way to add to it
                }
                return;
        }
        // Qwen repeats an empty id on later chunks; the first non-empty id and name are the call's.
        if (tool.Id.Length == 0 && !IsEmptyString(id))
        {
            tool.Id.Set(id);
        }
        if (tool.Name.Length == 0 && !IsEmptyString(name))
        {
            tool.Name.Set(name);
        }
        if (hasArguments)
        {
            tool.Arguments.Append(arguments[1..^1]);
        }
        if (_openTool is null && tool.Ready)
        {
            OpenFirstReadyTool(output);
        }
    }

    // An earlier call that became ready while another tool block had the turn goes first.
    private void OpenFirstReadyTool(IBufferWriter<byte> output)
    {
        for (var i = 0; i < _toolCount; i++)
        {
            if (_tools[i].Phase == ToolCallPhase.Pending && _tools[i].Ready)
            {
                OpenTool(_tools[i], output);
                return;
            }
        }
    }

    private ToolCallBuffer FindOrAddTool(int index)
    {
        for (var i = 0; i < _toolCount; i++)
        {
            if (_tools[i].ChatIndex == index)
            {
                return _tools[i];
            }
        }
        if (_toolCount == _tools.Count)
        {
            _tools.Add(new ToolCallBuffer());
        }
        var tool = _tools[_toolCount++];
        tool.Start(index);
        return tool;
    }

    private void OpenTool(ToolCallBuffer tool, IBufferWriter<byte> output)
    {
        CloseOpenBlock(output);
        tool.Phase = ToolCallPhase.Open;
        tool.Block = _openBlock = _nextBlock++;
        _openKind = ContentBlockKind.ToolUse;
        _openTool = tool;
        _emittedToolUse = true;
        _events.ToolUseStart(tool.Block, tool.Id.Span, tool.Name.Span, output);
        if (tool.Arguments.Length > 0)
        {
            _scratch.Set("\""u8);
            _scratch.Append(tool.Arguments.Span);
            _scratch.Append("\""u8);
            _outputBytes += tool.Arguments.Length;
            tool.SentArguments = true;
            _events.InputJsonDelta(tool.Block, _scratch.Span, output);
            tool.Arguments.Clear();
        }
    }

    private void CloseOpenBlock(IBufferWriter<byte> output)
    {
        switch (_openKind)
        {
            case ContentBlockKind.None:
                return;
            case ContentBlockKind.Thinking:
                _events.SignatureDelta(_openBlock, output);
                break;
            case ContentBlockKind.ToolUse:
                if (!_openTool!.SentArguments)
                {
                    // A call without arguments: some clients parse the accumulated input and fail on nothing.
                    _events.InputJsonDelta(_openBlock, "\"{}\""u8, output);
                }
                _openTool.Phase = ToolCallPhase.Closed;
                _openTool = null;
                break;
        }
        _events.BlockStop(_openBlock, output);
        _openKind = ContentBlockKind.None;
        _openBlock = -1;
    }

    // Each held tool call in order of first appearance, as its own block; a call never named cannot be run.
    private void DeliverHeldToolCalls(IBufferWriter<byte> output)
    {
        for (var i = 0; i < _toolCount; i++)
        {
            var tool = _tools[i];
            if (tool.Phase != ToolCallPhase.Pending)
            {
                continue;
            }
            if (tool.Name.Length == 0)
            {
                tool.Phase = ToolCallPhase.Closed;
                DroppedToolCalls++;
                continue;
            }
            if (tool.Id.Length == 0)
            {
                SetMadeUpId(tool);
            }
            OpenTool(tool, output);
            CloseOpenBlock(output);
        }
    }

    // The client needs an id to answer the call with; one unique within the message will do.
    private void SetMadeUpId(ToolCallBuffer tool)
    {
        var suffix = _messageId.StartsWith("msg_", StringComparison.Ordinal) ? _messageId[4..] : _messageId;
        var encoded = JsonEncodedText.Encode($"toolu_{suffix}_{tool.ChatIndex}");
        tool.Id.Set("\""u8);
        tool.Id.Append(encoded.EncodedUtf8Bytes);
        tool.Id.Append("\""u8);
    }
}
