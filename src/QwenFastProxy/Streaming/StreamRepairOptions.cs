namespace QwenFastProxy.Streaming;

/// <summary>Bounds of the stream repair.</summary>
/// <param name="MaxHoldBytes">STREAMING_BUFFER_SIZE: held frames beyond this many bytes are sent (decided on the evidence at hand).</param>
/// <param name="MaxHoldAge">How long an ambiguous chunk may wait for the next one. Short: a client must
/// never notice the hold on a genuine stream.</param>
/// <param name="MaxErrors">STREAMING_MAX_ERRORS: malformed frames tolerated before the stream is ended.</param>
internal sealed record StreamRepairOptions(int MaxHoldBytes = 4096, TimeSpan MaxHoldAge = default, int MaxErrors = 10)
{
    /// <summary>The default age bound: a quarter of a second, below what a person reading a stream notices.</summary>
    public static readonly TimeSpan DefaultMaxHoldAge = TimeSpan.FromMilliseconds(250);

    /// <summary><see cref="MaxHoldAge"/>, or the default when unset.</summary>
    public TimeSpan EffectiveMaxHoldAge => MaxHoldAge > TimeSpan.Zero ? MaxHoldAge : DefaultMaxHoldAge;
}
