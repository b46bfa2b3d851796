using System.Buffers;
using QwenFastProxy.Buffers;
using QwenFastProxy.Http;

namespace QwenFastProxy.Streaming;

/// <summary>What the relay does after a frame.</summary>
internal enum FrameResult : byte
{
    Continue,

    /// <summary><c>[DONE]</c> was relayed: the stream is over.</summary>
    Done,

    /// <summary>More malformed frames than STREAMING_MAX_ERRORS: end the stream with an error.</summary>
    TooManyErrors,
}

/// <summary>
/// Repairs one server-sent-event stream of chat completion chunks, frame by frame. Frames that need no
/// change are copied as they are; frames whose delta text repeats what was delivered are rewritten by
/// splicing the raw JSON (every other field and the frame order stay as sent). When a chunk is
/// ambiguous, it and every frame after it wait in a queue until the next chunk of the same field
/// decides, the queue passes the byte bound, the age bound passes (<see cref="HoldDeadline"/>), or the
/// stream ends — so nothing ever overtakes held text and nothing is ever dropped.
/// </summary>
internal sealed class StreamRepairer : IEventStreamRewriter, IDisposable
{
    private readonly List<FieldRepair> _fields = new(2);
    private readonly List<FieldRepair> _spare = new(2);
    private readonly StreamStateMachine _state;
    private readonly StreamRepairOptions _options;
    private readonly TimeProvider _time;
    private readonly PooledBytes _contiguous = new();
    private readonly PooledBytes _joined = new();
    private readonly DeltaToken[] _tokens = new DeltaToken[ChunkScanner.MaxTokens];
    private readonly Edit[] _edits = new Edit[ChunkScanner.MaxTokens];
    private readonly HoldQueue _queue = new();

    // The one open question: a held chunk waiting for evidence.
    private FieldRepair? _pendingField;
    private int _pendingEdit = -1;
    private double _pendingConfidence;
    private long _pendingSince;

    public StreamRepairer(StreamRepairOptions options, TimeProvider time, Action<StreamState, StreamState, string>? onTransition = null)
    {
        _options = options;
        _time = time;
        _state = new StreamStateMachine(onTransition);
    }

    /// <summary>Forgets the stream so this repairer (and its pooled buffers) can serve another one.</summary>
    public void Reset()
    {
        _spare.AddRange(_fields);
        _fields.Clear();
        _queue.Clear();
        _state.Reset();
        _pendingField = null;
        _pendingEdit = -1;
        Errors = 0;
        StripUsage = false;
        MessagesEvents = false;
        ChunksRepaired = 0;
        BytesRemoved = 0;
        Usage = null;
    }

    /// <summary>
    /// Forgets the stream and gives its buffers back to the shared pool, keeping the objects themselves for the
    /// next stream: what an object pool calls before it keeps a repairer, so an idle one holds no buffer.
    /// </summary>
    public void Recycle()
    {
        Reset();
        foreach (var field in _spare)
        {
            field.Dispose(); // returns its buffers; the field stays usable and is reassigned later
        }
        _contiguous.Dispose();
        _joined.Dispose();
        _queue.Dispose();
    }

    public StreamState State => _state.State;

    /// <summary>
    /// Drop the usage-only chunk: set for a stream whose <c>stream_options.include_usage</c> the proxy added, so the
    /// client gets the stream it asked for.
    /// </summary>
    public bool StripUsage { get; set; }

    /// <summary>
    /// The stream is Anthropic Messages events (a forwarded <c>/v1/messages</c> answer) rather than chat chunks: the
    /// same repair, on <c>text_delta</c> and <c>thinking_delta</c> strings per content block.
    /// </summary>
    public bool MessagesEvents { get; set; }

    /// <summary>Malformed frames seen.</summary>
    public int Errors { get; private set; }

    /// <summary>Delta strings rewritten (suffix or suppressed).</summary>
    public int ChunksRepaired { get; private set; }

    /// <summary>Bytes of repeated text not sent to the client.</summary>
    public long BytesRemoved { get; private set; }

    /// <summary>The token counts of the stream's usage chunk, whether or not it went to the client; null until one came.</summary>
    public TokenUsage? Usage { get; private set; }

    /// <summary>When the held frames must go out even without evidence; null when nothing is held.</summary>
    public long? HoldDeadline => _pendingField is null ? null : _pendingSince + (long)(_options.EffectiveMaxHoldAge.TotalSeconds * _time.TimestampFrequency);

    /// <summary>Processes one raw frame (blank line included) and writes what is ready to <paramref name="output"/>.</summary>
    public FrameResult Process(in ReadOnlySequence<byte> raw, IBufferWriter<byte> output)
    {
        var frame = Contiguous(raw);
        if (!TryGetData(frame, out var json))
        {
            Emit(frame, default, 0, output); // comments, keep-alives, event/id-only frames
            return FrameResult.Continue;
        }

        var endedBlock = -1;
        var tokenCount = 0;
        var kind = MessagesEvents
            ? MessagesEventScanner.Scan(json, _tokens, out tokenCount, out endedBlock)
            : ChunkScanner.Scan(json, _tokens, out tokenCount);
        if (kind == ChunkKind.UsageOnly && UsageReader.TryReadChunk(json, out var usage))
        {
            Usage = usage;
        }
        switch (kind)
        {
            case ChunkKind.Done:
                Settle(output);
                WriteUndeliveredTails(output);
                _state.MoveTo(StreamState.Terminating, "received DONE");
                output.Write(frame);
                return FrameResult.Done;
            case ChunkKind.BlockEnd:
                // A block closes: what it holds goes out first, and nothing can follow it inside the block.
                Settle(output);
                WriteUndeliveredTails(output, endedBlock);
                output.Write(frame);
                return FrameResult.Continue;
            case ChunkKind.UsageOnly when StripUsage:
                // The proxy asked for usage the client did not: the counts stay here (read above).
                return FrameResult.Continue;
            case ChunkKind.Malformed:
                Errors++;
                _state.MoveTo(StreamState.Recovering, "malformed frame");
                // Policy: pass it through as sent (a client may understand what we do not) and count it.
                Emit(frame, default, 0, output);
                return Errors > _options.MaxErrors ? FrameResult.TooManyErrors : FrameResult.Continue;
        }

        _state.Recovered();
        var now = _time.GetTimestamp();
        var editCount = 0;
        var newPending = -1;
        for (var i = 0; i < tokenCount; i++)
        {
            var token = _tokens[i];
            var chunk = token.Raw(json);
            var field = Field(token.Choice, token.Field);
            if (ReferenceEquals(field, _pendingField) && !chunk.IsEmpty)
            {
                ResolvePending(chunk, hasNext: true);
                if (_pendingField is null)
                {
                    _queue.WriteTo(output);
                }
            }
            var decision = field.Decide(chunk, field.Timing(now, _time.TimestampFrequency));
            if (decision.Action == RepairAction.Hold)
            {
                if (_pendingField is null && newPending < 0)
                {
                    newPending = editCount;
                    _edits[editCount++] = Edit.Undecided(token);
                    _pendingField = field;
                    _pendingConfidence = decision.Confidence;
                    _pendingSince = now;
                    continue;
                }
                // One open question at a time: decide this one on the evidence at hand.
                decision = field.Resolve(chunk, decision.Confidence, default, hasNext: false);
            }
            var wasCumulative = field.IsCumulative;
            field.Apply(chunk, decision, now, _time.TimestampFrequency);
            Record(token, chunk, decision, ref editCount);
            if (!chunk.IsEmpty)
            {
                Transition(field, wasCumulative, decision.Reason);
            }
        }

        if (newPending >= 0 || !_queue.IsEmpty)
        {
            var entry = _queue.Add(frame, json, _edits.AsSpan(0, editCount));
            if (newPending >= 0)
            {
                _pendingEdit = _queue.EditIndex(entry, newPending);
            }
            if (_queue.Bytes > _options.MaxHoldBytes)
            {
                Settle(output);
            }
        }
        else
        {
            Emit(frame, json, editCount, output);
        }
        return FrameResult.Continue;
    }

    /// <summary>The age bound passed: decide the held chunk without more evidence and send the queue.</summary>
    public void Expire(IBufferWriter<byte> output) => Settle(output);

    /// <inheritdoc />
    long? IEventStreamRewriter.Deadline => HoldDeadline;

    /// <summary>
    /// Sends what is held, then the client's mid-stream error: for chat a <c>data:</c> error object and <c>[DONE]</c>
    /// (what the OpenAI SDKs raise), for Messages events an <c>event: error</c>.
    /// </summary>
    public void Fail(IBufferWriter<byte> output, in HttpError error)
    {
        Complete(output, "upstream failed");
        if (MessagesEvents)
        {
            AnthropicErrorBody.WriteEvent(output, error);
        }
        else
        {
            SseErrorFrame.Write(output, error, closeOpenFrame: false);
        }
    }

    /// <summary>The upstream ended (with or without [DONE]): send everything still held.</summary>
    public void Complete(IBufferWriter<byte> output, string reason)
    {
        Settle(output);
        WriteUndeliveredTails(output);
        _state.MoveTo(StreamState.Terminating, reason);
    }

    public void Dispose()
    {
        Recycle();
        _spare.Clear();
    }

    private void Settle(IBufferWriter<byte> output)
    {
        if (_pendingField is not null)
        {
            ResolvePending(default, hasNext: false);
        }
        _queue.WriteTo(output);
    }

    private void ResolvePending(ReadOnlySpan<byte> next, bool hasNext)
    {
        var field = _pendingField!;
        var held = _queue.EditChunk(_pendingEdit);
        var decision = field.Resolve(held, _pendingConfidence, next, hasNext);
        var wasCumulative = field.IsCumulative;
        field.Apply(held, decision, _pendingSince, _time.TimestampFrequency);
        _queue.Decide(_pendingEdit, decision);
        Count(held.Length, decision);
        Transition(field, wasCumulative, decision.Reason);
        _pendingField = null;
        _pendingEdit = -1;
    }

    private void Record(in DeltaToken token, ReadOnlySpan<byte> chunk, in RepairDecision decision, ref int editCount)
    {
        var unchanged = decision.Action == RepairAction.Deliver && decision.Start == 0 && decision.End == chunk.Length;
        if (!unchanged)
        {
            _edits[editCount++] = Edit.From(token, decision);
        }
        Count(chunk.Length, decision);
    }

    private void Count(int chunkLength, in RepairDecision decision)
    {
        var sent = decision.Action == RepairAction.Deliver ? decision.End - decision.Start : 0;
        if (sent != chunkLength)
        {
            ChunksRepaired++;
            BytesRemoved += chunkLength - sent;
        }
    }

    private void Transition(FieldRepair field, bool wasCumulative, string reason)
    {
        if (_state.State == StreamState.Initial || field.IsCumulative != wasCumulative)
        {
            var anyCumulative = false;
            foreach (var f in _fields)
            {
                anyCumulative |= f.IsCumulative;
            }
            _state.ContentSeen(anyCumulative, reason);
        }
    }

    private FieldRepair Field(int choice, DeltaField kind)
    {
        foreach (var field in _fields)
        {
            if (field.Choice == choice && field.Field == kind)
            {
                return field;
            }
        }
        FieldRepair created;
        if (_spare.Count > 0)
        {
            created = _spare[^1];
            _spare.RemoveAt(_spare.Count - 1);
            created.Reassign(choice, kind);
        }
        else
        {
            created = new FieldRepair(choice, kind);
        }
        _fields.Add(created);
        return created;
    }

    // A frame cut across pipe segments is copied once into a reused buffer; most frames are not.
    private ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> raw)
    {
        if (raw.IsSingleSegment)
        {
            return raw.FirstSpan;
        }
        _contiguous.Clear();
        var span = _contiguous.GetSpan((int)raw.Length);
        raw.CopyTo(span);
        _contiguous.Advance(span.Length);
        return _contiguous.Span;
    }

    // The data of a frame: one data line as a slice, several joined with LF (the SSE rule).
    private bool TryGetData(ReadOnlySpan<byte> frame, out ReadOnlySpan<byte> data)
    {
        data = default;
        var count = 0;
        foreach (var line in SseFrameParser.Lines(frame))
        {
            if (SseFrameParser.TryGetData(line, out var value))
            {
                if (count == 0)
                {
                    data = value;
                }
                else
                {
                    if (count == 1)
                    {
                        _joined.Set(data);
                    }
                    _joined.Append("\n"u8);
                    _joined.Append(value);
                }
                count++;
            }
        }
        if (count > 1)
        {
            data = _joined.Span;
        }
        return count > 0;
    }

    private void Emit(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> json, int editCount, IBufferWriter<byte> output)
    {
        if (editCount == 0)
        {
            output.Write(frame);
            return;
        }
        FrameWriter.WriteRewritten(frame, json, _edits.AsSpan(0, editCount), output);
    }

    // Text held back at a character boundary that the stream never completed: sent before [DONE] (or before its
    // block's end) in a minimal chunk of its own, so that no byte the upstream sent is lost.
    private void WriteUndeliveredTails(IBufferWriter<byte> output, int onlyChoice = -1)
    {
        foreach (var field in _fields)
        {
            var tail = field.UndeliveredTail;
            if (tail.IsEmpty || (onlyChoice >= 0 && field.Choice != onlyChoice))
            {
                continue;
            }
            if (MessagesEvents)
            {
                FrameWriter.WriteTailEvent(field.Choice, field.Field, tail, output);
            }
            else
            {
                FrameWriter.WriteTailChunk(field.Choice, field.Field, tail, output);
            }
            field.TailDelivered();
        }
    }
}
