using System.Globalization;

namespace QwenFastProxy.Simulator;

/// <summary>
/// Per-simulator counters behind response ids. Counters rather than random ids keep runs reproducible
/// while still giving every response a distinct id, as clients that deduplicate by id expect.
/// </summary>
internal sealed class SimulatorIds
{
    private long _completion;
    private long _toolCall;
    private long _request;
    private long _message;
    private long _toolUse;

    public string NextCompletionId() =>
        "chatcmpl-sim" + Interlocked.Increment(ref _completion).ToString("D6", CultureInfo.InvariantCulture);

    public string NextToolCallId() =>
        "call_" + Interlocked.Increment(ref _toolCall).ToString(CultureInfo.InvariantCulture);

    /// <summary>An Anthropic message id: <c>msg_</c> and a counter.</summary>
    public string NextMessageId() =>
        "msg_sim" + Interlocked.Increment(ref _message).ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>An Anthropic tool-use id: <c>toolu_</c> and a counter.</summary>
    public string NextToolUseId() =>
        "toolu_sim" + Interlocked.Increment(ref _toolUse).ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Qwen's <c>request_id</c> is a UUID; this one is UUID-shaped with the counter in the last group.</summary>
    public string NextRequestId() =>
        "00000000-0000-4000-8000-" + Interlocked.Increment(ref _request).ToString("x12", CultureInfo.InvariantCulture);

    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
