using QwenFastProxy.Buffers;

namespace QwenFastProxy.Streaming;

/// <summary>What to do with one delta string.</summary>
internal enum RepairAction : byte
{
    /// <summary>Send <c>chunk[Start..End]</c> (all of it when the chunk is genuine, a suffix when cumulative).</summary>
    Deliver,

    /// <summary>Send an empty string: everything in the chunk was delivered already.</summary>
    Suppress,

    /// <summary>The evidence is open: hold the frame until the next chunk of this field (bounded).</summary>
    Hold,
}

/// <summary>A decision about one chunk, with the reason the state machine logs.</summary>
internal readonly record struct RepairDecision(RepairAction Action, int Start, int End, double Confidence, string Reason, bool Cumulative)
{
    public static RepairDecision Genuine(int length, string reason, double confidence = 0) =>
        new(RepairAction.Deliver, 0, length, confidence, reason, Cumulative: false);
}

/// <summary>
/// The repair of one delta text (one choice's <c>content</c> or <c>reasoning_content</c>): remembers what
/// the client has received, recognises chunks that repeat it (cumulative snapshots, replays, rewinds)
/// and decides what to send instead. Works on the raw JSON string bytes, so splicing needs no
/// re-escaping; a suffix of a valid string is itself valid because it starts where the delivered text
/// ended. Sizes that weigh evidence are of the decoded text (<see cref="DecodedLength"/>). Allocates nothing
/// per chunk: its buffers are pooled and grow with the text.
/// </summary>
internal sealed class FieldRepair : IDisposable
{
    // Rewinds shorter than this could be genuine deltas that happen to equal the start of the text.
    private const int MinRewindBytes = 4;

    // Without a next chunk to confirm it, a held repeat shorter than this is taken as genuine: short
    // repeats ("\n\n", "**", "};") are everyday text, and losing text is worse than repeating it.
    private const int MinUnconfirmedReplayBytes = 16;

    // Revision tolerance in cumulative mode: a snapshot whose overlap with the delivered text is this
    // similar (and long enough to judge) still counts as the same text.
    private const int MinRevisionBytes = 16;
    private const double RevisionSimilarity = 0.9;

    // Smoothing of the typical delta size and the arrival cadence.
    private const double Smoothing = 0.3;

    private readonly PooledBytes _delivered = new();
    private readonly PooledBytes _snapshot = new();
    private int _samples;
    private double _typicalDelta = double.NaN;
    private double _usualGapMs = double.NaN;
    private long _lastArrival;

    public FieldRepair(int choice, DeltaField field)
    {
        Choice = choice;
        Field = field;
    }

    public int Choice { get; private set; }

    public DeltaField Field { get; private set; }

    /// <summary>Reuses this object for another choice and field of a new stream.</summary>
    public void Reassign(int choice, DeltaField field)
    {
        Reset();
        Choice = choice;
        Field = field;
    }

    /// <summary>True while the upstream sends this field cumulatively.</summary>
    public bool IsCumulative { get; private set; }

    /// <summary>Bytes of the upstream's last snapshot not yet sent (an incomplete character held back).</summary>
    public ReadOnlySpan<byte> UndeliveredTail =>
        IsCumulative && _snapshot.Length > _delivered.Length && _snapshot.Span.StartsWith(_delivered.Span)
            ? _snapshot.Span[_delivered.Length..]
            : default;

    /// <summary>Timing evidence for a chunk arriving at <paramref name="timestamp"/> (Stopwatch ticks).</summary>
    public double Timing(long timestamp, long frequency)
    {
        if (_lastArrival == 0)
        {
            return 0.5;
        }
        var gapMs = (timestamp - _lastArrival) * 1000.0 / frequency;
        return StutterDetector.TimingFactor(gapMs, _usualGapMs);
    }

    /// <summary>Decides what to send for <paramref name="chunk"/>; call <see cref="Apply"/> with the outcome.</summary>
    public RepairDecision Decide(ReadOnlySpan<byte> chunk, double timing)
    {
        var delivered = _delivered.Span;
        if (chunk.IsEmpty)
        {
            return RepairDecision.Genuine(0, "empty delta"); // no evidence either way (role chunks, final chunks)
        }
        if (IsCumulative)
        {
            return DecideCumulative(delivered, chunk);
        }
        if (delivered.IsEmpty)
        {
            return RepairDecision.Genuine(chunk.Length, "first content chunk");
        }
        if (chunk.Length > delivered.Length && chunk.StartsWith(delivered))
        {
            var confidence = StutterDetector.ExtensionConfidence(delivered, chunk, Typical, timing);
            return confidence >= StutterDetector.Confirm
                ? new RepairDecision(RepairAction.Deliver, delivered.Length, CompleteEnd(chunk, delivered.Length), confidence, "cumulative content detected", Cumulative: true)
                : confidence < StutterDetector.Reject
                    ? RepairDecision.Genuine(chunk.Length, "extension judged genuine", confidence)
                    : new RepairDecision(RepairAction.Hold, 0, chunk.Length, confidence, "extension ambiguous", Cumulative: false);
        }
        if (chunk.Length > 0 && delivered.StartsWith(chunk))
        {
            var confidence = StutterDetector.ReplayConfidence(delivered, chunk, Typical, timing);
            return confidence >= StutterDetector.Confirm
                ? new RepairDecision(RepairAction.Suppress, 0, 0, confidence, "replay detected", Cumulative: true)
                : confidence < StutterDetector.Reject
                    ? RepairDecision.Genuine(chunk.Length, "repeat judged genuine", confidence)
                    : new RepairDecision(RepairAction.Hold, 0, chunk.Length, confidence, "repeat ambiguous", Cumulative: false);
        }
        return RepairDecision.Genuine(chunk.Length, "genuine delta");
    }

    /// <summary>
    /// Decides a held chunk once evidence arrives: the next chunk of this field (<paramref name="next"/>)
    /// confirms the cumulative reading if it continues the held chunk; without one (stream end, hold
    /// bound) the held confidence decides against <see cref="StutterDetector.Undecided"/>.
    /// </summary>
    public RepairDecision Resolve(ReadOnlySpan<byte> held, double heldConfidence, ReadOnlySpan<byte> next, bool hasNext)
    {
        // The next chunk continues the held one (a longer snapshot, or the same one again), or rewinds
        // to an earlier snapshot: both only happen in a cumulative stream. A held repeat of a few bytes
        // ("\n" after "\n") is not confirmed that way: tiny genuine repeats are common in code and markdown.
        // Sizes are of the text (DecodedLength), so an escaped stream is judged like the same text unescaped.
        var heldIsRepeat = held.Length <= _delivered.Length;
        var heldText = DecodedLength.Of(held);
        var cumulative = hasNext
            ? (next.StartsWith(held) && (next.Length > held.Length || heldText >= MinRewindBytes)
               || held.StartsWith(next) && DecodedLength.Of(next) >= MinRewindBytes)
              && (!heldIsRepeat || heldText >= MinRewindBytes)
            : heldConfidence >= StutterDetector.Undecided && (!heldIsRepeat || heldText >= MinUnconfirmedReplayBytes);
        if (!cumulative)
        {
            return RepairDecision.Genuine(held.Length, hasNext ? "next chunk did not continue it: genuine" : "undecided at the bound: genuine", heldConfidence);
        }
        var delivered = _delivered.Span;
        return held.Length > delivered.Length
            ? new RepairDecision(RepairAction.Deliver, delivered.Length, CompleteEnd(held, delivered.Length), heldConfidence, "cumulative content confirmed", Cumulative: true)
            : new RepairDecision(RepairAction.Suppress, 0, 0, heldConfidence, "replay confirmed", Cumulative: true);
    }

    /// <summary>Records that <paramref name="decision"/> was carried out for <paramref name="chunk"/>.</summary>
    public void Apply(ReadOnlySpan<byte> chunk, in RepairDecision decision, long timestamp, long frequency)
    {
        if (_lastArrival != 0)
        {
            var gapMs = (timestamp - _lastArrival) * 1000.0 / frequency;
            _usualGapMs = double.IsNaN(_usualGapMs) ? gapMs : _usualGapMs + Smoothing * (gapMs - _usualGapMs);
        }
        _lastArrival = timestamp;

        switch (decision.Action)
        {
            case RepairAction.Deliver:
                // For a revised snapshot the client keeps what it has; only the new part is appended.
                var sent = chunk[decision.Start..decision.End];
                _delivered.Append(sent);
                Learn(DecodedLength.Of(sent));
                break;
            case RepairAction.Suppress:
                break;
        }
        if (chunk.IsEmpty)
        {
            return; // an empty delta neither starts nor ends stuttering
        }
        IsCumulative = decision.Cumulative;
        if (decision.Cumulative && chunk.Length >= _snapshot.Length)
        {
            _snapshot.Set(chunk);
        }
    }

    /// <summary>Forgets the stream, keeping the buffers, so the object can serve the next stream.</summary>
    public void Reset()
    {
        _delivered.Clear();
        _snapshot.Clear();
        _samples = 0;
        _typicalDelta = double.NaN;
        _usualGapMs = double.NaN;
        _lastArrival = 0;
        IsCumulative = false;
    }

    /// <summary>Marks the held-back tail as delivered (sent at the end of the stream).</summary>
    public void TailDelivered() => _delivered.Append(UndeliveredTail);

    public void Dispose()
    {
        _delivered.Dispose();
        _snapshot.Dispose();
    }

    private double Typical => _samples >= 2 ? _typicalDelta : double.NaN;

    private static RepairDecision DecideCumulative(ReadOnlySpan<byte> delivered, ReadOnlySpan<byte> chunk)
    {
        var common = delivered.CommonPrefixLength(chunk);
        if (common == delivered.Length)
        {
            var end = CompleteEnd(chunk, delivered.Length);
            return end > delivered.Length
                ? new RepairDecision(RepairAction.Deliver, delivered.Length, end, 1, "cumulative suffix", Cumulative: true)
                : new RepairDecision(RepairAction.Suppress, 0, 0, 1, "cumulative replay", Cumulative: true);
        }
        if (common == chunk.Length && DecodedLength.Of(chunk) >= MinRewindBytes)
        {
            return new RepairDecision(RepairAction.Suppress, 0, 0, 1, "cumulative rewind", Cumulative: true);
        }
        if (delivered.Length >= MinRevisionBytes && chunk.Length > delivered.Length)
        {
            var window = Math.Min(64, delivered.Length);
            var similarity = Levenshtein.Similarity(delivered[^window..], chunk.Slice(delivered.Length - window, window));
            if (similarity >= RevisionSimilarity)
            {
                var start = CharBoundary(chunk, delivered.Length);
                var end = CompleteEnd(chunk, start);
                return end > start
                    ? new RepairDecision(RepairAction.Deliver, start, end, similarity, "cumulative snapshot with a revision", Cumulative: true)
                    : new RepairDecision(RepairAction.Suppress, 0, 0, similarity, "cumulative snapshot with a revision", Cumulative: true);
            }
        }
        return RepairDecision.Genuine(chunk.Length, "stuttering resolved");
    }

    private void Learn(int deltaLength)
    {
        if (deltaLength == 0)
        {
            return;
        }
        _typicalDelta = _samples == 0 ? deltaLength : _typicalDelta + Smoothing * (deltaLength - _typicalDelta);
        _samples++;
    }

    /// <summary>
    /// Where the complete part of <paramref name="raw"/> ends: a snapshot cut inside a character (raw
    /// UTF-8 bytes of an unfinished sequence, or a <c>\uD8xx</c> escape waiting for its low surrogate)
    /// keeps that tail back until the next snapshot completes it.
    /// </summary>
    internal static int CompleteEnd(ReadOnlySpan<byte> raw, int from)
    {
        var end = raw.Length;
        // A high-surrogate escape at the very end: \uD800–\uDBFF.
        if (end - from >= 6 && raw[end - 6] == (byte)'\\' && (raw[end - 5] | 0x20) == (byte)'u'
            && (raw[end - 4] | 0x20) == (byte)'d' && (raw[end - 3] | 0x20) is >= (byte)'8' and <= (byte)'b'
            && !IsEscaped(raw, end - 6))
        {
            return end - 6;
        }
        // An unfinished UTF-8 sequence: walk back over continuation bytes to the lead byte.
        var lead = end - 1;
        var continuation = 0;
        while (lead >= from && continuation < 3 && (raw[lead] & 0xC0) == 0x80)
        {
            lead--;
            continuation++;
        }
        if (lead >= from && raw[lead] >= 0xC0)
        {
            var needed = raw[lead] >= 0xF0 ? 3 : raw[lead] >= 0xE0 ? 2 : 1;
            if (continuation < needed)
            {
                return lead;
            }
        }
        return end;
    }

    // True when the backslash at index is itself escaped (preceded by an odd number of backslashes).
    private static bool IsEscaped(ReadOnlySpan<byte> raw, int index)
    {
        var count = 0;
        for (var i = index - 1; i >= 0 && raw[i] == (byte)'\\'; i--)
        {
            count++;
        }
        return count % 2 == 1;
    }

    // Moves forward past UTF-8 continuation bytes so a cut never splits a character.
    private static int CharBoundary(ReadOnlySpan<byte> raw, int index)
    {
        while (index < raw.Length && (raw[index] & 0xC0) == 0x80)
        {
            index++;
        }
        return index;
    }
}
