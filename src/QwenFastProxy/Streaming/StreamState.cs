namespace QwenFastProxy.Streaming;

/// <summary>The life of one repaired stream.</summary>
internal enum StreamState : byte
{
    /// <summary>No content yet (role chunk, tool-call frames, comments).</summary>
    Initial,

    /// <summary>Deltas arrive as deltas: passed through unchanged.</summary>
    NormalFlow,

    /// <summary>At least one field arrives cumulatively: only new suffixes are sent.</summary>
    Stuttering,

    /// <summary>A malformed frame was seen; the stream goes on while errors stay under STREAMING_MAX_ERRORS.</summary>
    Recovering,

    /// <summary>The stream is ending: [DONE], upstream end, error limit, or failure.</summary>
    Terminating,
}

/// <summary>
/// The explicit state machine of a stream: every transition goes through <see cref="MoveTo"/>, which
/// reports it (with its reason) to an observer — the relay logs them at debug level.
/// </summary>
internal sealed class StreamStateMachine
{
    private readonly Action<StreamState, StreamState, string>? _observer;
    private StreamState _beforeRecovery = StreamState.Initial;

    public StreamStateMachine(Action<StreamState, StreamState, string>? observer) => _observer = observer;

    public StreamState State { get; private set; } = StreamState.Initial;

    /// <summary>Back to <see cref="StreamState.Initial"/> for a new stream (no transition reported).</summary>
    public void Reset()
    {
        State = StreamState.Initial;
        _beforeRecovery = StreamState.Initial;
    }

    public void MoveTo(StreamState next, string reason)
    {
        if (next == State || State == StreamState.Terminating)
        {
            return;
        }
        if (next == StreamState.Recovering)
        {
            _beforeRecovery = State;
        }
        var previous = State;
        State = next;
        _observer?.Invoke(previous, next, reason);
    }

    /// <summary>A good frame after malformed ones: back to where the stream was.</summary>
    public void Recovered()
    {
        if (State == StreamState.Recovering)
        {
            MoveTo(_beforeRecovery, "valid frame after a malformed one");
        }
    }

    /// <summary>Content arrived for a field; <paramref name="anyCumulative"/> says whether any field now stutters.</summary>
    public void ContentSeen(bool anyCumulative, string reason)
    {
        if (State is StreamState.Recovering or StreamState.Terminating)
        {
            return;
        }
        MoveTo(anyCumulative ? StreamState.Stuttering : StreamState.NormalFlow, reason);
    }
}
