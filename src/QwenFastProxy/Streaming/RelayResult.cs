using QwenFastProxy.Http;

namespace QwenFastProxy.Streaming;

/// <summary>How a relayed response body ended.</summary>
internal enum RelayStatus : byte
{
    /// <summary>The whole body reached the client's output (for an event stream: through <c>[DONE]</c> or the upstream's end).</summary>
    Completed,

    /// <summary>The client left: nobody to answer, and nothing learnt about the upstream.</summary>
    ClientGone,

    /// <summary>The exchange's own deadline passed (REQUEST_TIMEOUT_SECONDS or STREAMING_TIMEOUT_SECONDS).</summary>
    TimedOut,

    /// <summary>The upstream sent nothing for READ_TIMEOUT_SECONDS.</summary>
    UpstreamSilent,

    /// <summary>The upstream connection broke mid-body.</summary>
    UpstreamBroke,

    /// <summary>The upstream sent more malformed stream chunks than STREAMING_MAX_ERRORS.</summary>
    UpstreamMalformed,
}

/// <summary>
/// The end of one relayed body: how it ended, the body bytes the client was given, what the stutter repair removed,
/// and the token counts the upstream reported in it (null when it reported none the relay could read).
/// </summary>
internal readonly record struct RelayResult(RelayStatus Status, long Bytes, int ChunksRepaired = 0, long BytesRemoved = 0, TokenUsage? Usage = null)
{
    /// <summary>True when the upstream is to blame for the end (it fell silent, broke or sent garbage).</summary>
    public bool UpstreamFailed => Status is RelayStatus.UpstreamSilent or RelayStatus.UpstreamBroke or RelayStatus.UpstreamMalformed;
}
