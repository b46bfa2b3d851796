using System.Buffers;
using QwenFastProxy.Buffers;
using QwenFastProxy.Http;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// A chat-completions event stream turned into Messages events for one exchange: each upstream frame goes
/// through the stutter repair (when on) into a scratch buffer, and what the repair lets out through the
/// translator to the client. Keeps the client's connection warm with a <c>ping</c> after 15 s without events, as
/// Anthropic's API does. Reused across exchanges.
/// </summary>
internal sealed class MessagesEventStream : IEventStreamRewriter, IDisposable
{
    /// <summary>Silence after which a <c>ping</c> event is sent.</summary>
    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(15);

    private readonly StreamRepairer? _repairer;
    private readonly MessagesStreamTranslator _translator = new();
    private readonly PooledBytes _chat = new();
    private readonly TimeProvider _time;
    private long _nextPing;

    /// <param name="repairer">The stutter repair run before translation; null relays the chat frames as they came.</param>
    /// <param name="time">The clock of the pings and of the repair's hold bound.</param>
    public MessagesEventStream(StreamRepairer? repairer, TimeProvider time)
    {
        _repairer = repairer;
        _time = time;
    }

    /// <summary>The token counts of the stream, once its usage chunk has come; else null.</summary>
    public TokenUsage? Usage => _translator.UsageReported
        ? new TokenUsage(
            _translator.Usage.InputTokens + _translator.Usage.CachedInputTokens,
            _translator.Usage.OutputTokens,
            _translator.Usage.CachedInputTokens,
            _translator.Usage.ReasoningTokens)
        : null;

    /// <summary>Chunks whose repeated text the repair removed.</summary>
    public int ChunksRepaired => _repairer?.ChunksRepaired ?? 0;

    /// <summary>Bytes of repeated text the repair removed.</summary>
    public long BytesRemoved => _repairer?.BytesRemoved ?? 0;

    /// <inheritdoc />
    public long? Deadline => _repairer?.HoldDeadline is { } hold && hold < _nextPing ? hold : _nextPing;

    /// <summary>Starts the client's stream: <c>message_start</c> and a first <c>ping</c>.</summary>
    public void Begin(string messageId, string model, int inputTokensEstimate, IBufferWriter<byte> output)
    {
        _translator.Begin(messageId, model, inputTokensEstimate, output);
        _nextPing = _time.GetTimestamp() + PingTicks;
    }

    /// <inheritdoc />
    public FrameResult Process(in ReadOnlySequence<byte> raw, IBufferWriter<byte> output)
    {
        _chat.Clear();
        var result = FrameResult.Continue;
        if (_repairer is null)
        {
            _chat.Append(raw);
        }
        else
        {
            result = _repairer.Process(raw, _chat);
        }
        Translate(output);
        return result == FrameResult.TooManyErrors ? result
            : _translator.Finished ? FrameResult.Done
            : FrameResult.Continue;
    }

    /// <inheritdoc />
    public void Expire(IBufferWriter<byte> output)
    {
        var now = _time.GetTimestamp();
        if (_repairer?.HoldDeadline is { } hold && hold <= now)
        {
            _chat.Clear();
            _repairer.Expire(_chat);
            Translate(output);
        }
        if (_nextPing <= now)
        {
            _translator.Ping(output);
            _nextPing = now + PingTicks;
        }
    }

    /// <inheritdoc />
    public void Complete(IBufferWriter<byte> output, string reason)
    {
        _chat.Clear();
        _repairer?.Complete(_chat, reason);
        Translate(output);
        _translator.Finish(output);
    }

    /// <inheritdoc />
    public void Fail(IBufferWriter<byte> output, in HttpError error)
    {
        _chat.Clear();
        _repairer?.Complete(_chat, "upstream failed");
        Translate(output);
        _translator.Fail(AnthropicErrorBody.TypeFor(error.Status), error.Message, output);
    }

    /// <summary>Forgets the exchange and gives pooled buffers back, keeping the objects for the next one.</summary>
    public void Recycle()
    {
        _translator.Reset();
        _repairer?.Recycle();
        _chat.Dispose();
    }

    public void Dispose()
    {
        _translator.Dispose();
        _repairer?.Dispose();
        _chat.Dispose();
    }

    private long PingTicks => (long)(PingInterval.TotalSeconds * _time.TimestampFrequency);

    private void Translate(IBufferWriter<byte> output)
    {
        if (_chat.Length > 0)
        {
            _translator.Translate(_chat.Span, output);
            // An event went out: the connection is warm again.
            _nextPing = _time.GetTimestamp() + PingTicks;
        }
    }
}
