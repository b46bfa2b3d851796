namespace QwenFastProxy.Simulator;

/// <summary>
/// Behaviour knobs of a running <see cref="QwenSimulator"/>. Tests may change them while requests are
/// in flight; every request reads each value once when it starts, so a change applies to the next request.
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>The answer the simulator gives unless a test sets another one.</summary>
    public const string DefaultResponseText =
        "The safest fix is to validate the input before parsing it, return early when the buffer is empty, " +
        "and cover both branches with a unit test so that the next refactor cannot silently break the contract " +
        "every caller depends on.";

    /// <summary>The reasoning the simulator streams before its answer when a request asks for thinking.</summary>
    public const string DefaultReasoningText =
        "The user wants a safe fix. The crash comes from parsing an empty buffer, so the check belongs before " +
        "the parser runs. An early return keeps the happy path flat. Both branches need a test: one for the empty " +
        "buffer and one for valid input, so a later refactor cannot drop the guard unnoticed.";

    // Backing fields read with Volatile because tests mutate options from another thread while Kestrel
    // threads read them; TimeSpan is kept as ticks so the read is a single atomic long.
    private int _chunkCount = 8;
    private long _chunkDelayTicks;
    private long _responseDelayTicks;
    private string? _requiredBearerToken;
    private volatile bool _recordRequests = true;
    private string _responseText = DefaultResponseText;
    private string _reasoningText = DefaultReasoningText;
    private int _cachedTokens;
    private int _cumulativeChunks;
    private IReadOnlyList<string>? _scriptedStream;
    private Func<int, CancellationToken, Task>? _scriptGate;

    /// <summary>Number of content chunks a streamed text answer is split into (at least 1).</summary>
    public int ChunkCount
    {
        get => Volatile.Read(ref _chunkCount);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _chunkCount, value);
        }
    }

    /// <summary>Pause before each streamed content chunk or tool-call fragment; zero streams as fast as possible.</summary>
    public TimeSpan ChunkDelay
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _chunkDelayTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _chunkDelayTicks, value.Ticks);
        }
    }

    /// <summary>Seeded random faults for chat requests without an <c>X-Sim-Fault</c> header (off by default).</summary>
    public FaultSettings Faults { get; } = new();

    /// <summary>Keep every request in <see cref="QwenSimulator.Requests"/> (tests); off for demo and load runs, whose memory must stay flat.</summary>
    public bool RecordRequests
    {
        get => _recordRequests;
        set => _recordRequests = value;
    }

    /// <summary>Pause before a chat answer's status line (a slow upstream); zero answers at once.</summary>
    public TimeSpan ResponseDelay
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _responseDelayTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _responseDelayTicks, value.Ticks);
        }
    }

    /// <summary>
    /// When set, <c>/v1/chat/completions</c> and <c>/v1/models</c> accept only <c>Authorization: Bearer &lt;token&gt;</c>
    /// and answer anything else with Qwen's 401 <c>invalid_api_key</c> body.
    /// </summary>
    public string? RequiredBearerToken
    {
        get => Volatile.Read(ref _requiredBearerToken);
        set => Volatile.Write(ref _requiredBearerToken, value);
    }

    /// <summary>
    /// Stuttering as Qwen does it: the first N content chunks of a streamed answer carry all the text so
    /// far instead of only the new part (<see cref="int.MaxValue"/>: the whole stream). 0 streams deltas. Each
    /// streamed text field counts on its own: reasoning and content, text and thinking deltas on the Anthropic route.
    /// </summary>
    public int CumulativeChunks
    {
        get => Volatile.Read(ref _cumulativeChunks);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _cumulativeChunks, value);
        }
    }

    /// <summary>
    /// When set, a streamed answer sends exactly these data payloads, one frame each, then
    /// <c>data: [DONE]</c> (stream-repair tests replay labelled streams through the real proxy).
    /// </summary>
    public IReadOnlyList<string>? ScriptedStream
    {
        get => Volatile.Read(ref _scriptedStream);
        set => Volatile.Write(ref _scriptedStream, value);
    }

    /// <summary>
    /// Awaited before each scripted frame is sent (its index, the request's abort token): lets a test
    /// decide exactly when the upstream speaks.
    /// </summary>
    public Func<int, CancellationToken, Task>? ScriptGate
    {
        get => Volatile.Read(ref _scriptGate);
        set => Volatile.Write(ref _scriptGate, value);
    }

    /// <summary>The assistant text of every non-tool answer.</summary>
    public string ResponseText
    {
        get => Volatile.Read(ref _responseText);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Volatile.Write(ref _responseText, value);
        }
    }

    /// <summary>
    /// The reasoning of every answer to a request with thinking on (<c>enable_thinking</c> on the chat route, a
    /// <c>thinking</c> block on the Anthropic route), cut to the request's thinking budget.
    /// </summary>
    public string ReasoningText
    {
        get => Volatile.Read(ref _reasoningText);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Volatile.Write(ref _reasoningText, value);
        }
    }

    /// <summary>Prompt tokens every answer reports as served from the context cache (capped at the prompt).</summary>
    public int CachedTokens
    {
        get => Volatile.Read(ref _cachedTokens);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _cachedTokens, value);
        }
    }
}
