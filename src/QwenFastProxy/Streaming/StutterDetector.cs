using System.Text;

namespace QwenFastProxy.Streaming;

/// <summary>
/// The multi-factor evidence that a chunk repeats text already delivered rather than adding to it. Four
/// factors, each in [0, 1], weighted into a confidence:
/// <list type="bullet">
/// <item><b>prefix</b>: how long the text shared with what was delivered is. A genuine delta can start
/// with the whole text so far only when that text is a few bytes long ("6" then "66"), so the factor
/// saturates with length: 1 − e^(−n/6) for an extension, slower (√(n/64), full at qwen-code's 64) for an exact repeat, because
/// genuine streams repeat short pieces ("=", "**", a repeated code line) all the time. An extension of
/// a word is full evidence at any length (<see cref="RepeatsAWord"/>).</item>
/// <item><b>length progression</b>: a cumulative chunk is about as long as everything so far plus one
/// delta; a genuine one is about as long as a typical delta.</item>
/// <item><b>similarity</b>: Levenshtein similarity of the overlapping window (the last 64 bytes of what
/// was delivered against the same bytes of the chunk): 1 for an exact prefix, lower when the upstream
/// revised a character.</item>
/// <item><b>timing</b>: a chunk arriving much faster than the stream's usual cadence is a little more
/// likely a replay (weak evidence, weighted low).</item>
/// </list>
/// Above <see cref="Confirm"/> the chunk is treated as cumulative; below <see cref="Reject"/> as genuine;
/// in between the evidence is open and the chunk is held until the next chunk decides (bounded in bytes
/// and age by the caller).
/// </summary>
internal static class StutterDetector
{
    public const double Confirm = 0.70;
    public const double Reject = 0.35;

    /// <summary>When a held chunk must be decided without further evidence (stream end, hold bound).</summary>
    public const double Undecided = 0.50;

    private const double PrefixWeight = 0.50;
    private const double LengthWeight = 0.25;
    private const double SimilarityWeight = 0.15;
    private const double TimingWeight = 0.10;

    // Beyond this the prefix factor is above 0.995 on its own (1 − e^(−32/6)).
    private const int WordEvidenceMaxBytes = 32;

    // Window of the similarity factor: long enough to see a revision, short enough to stay cheap.
    private const int SimilarityWindow = 64;

    /// <summary>Confidence that <paramref name="chunk"/> (which starts with <paramref name="delivered"/>) is cumulative.</summary>
    /// <param name="delivered">Text delivered so far (raw JSON string bytes).</param>
    /// <param name="chunk">The new chunk's text.</param>
    /// <param name="typicalDelta">Typical size of a genuine delta in this stream so far (bytes of text, <see cref="DecodedLength"/>); NaN while unknown.</param>
    /// <param name="timing">The timing factor from <see cref="TimingFactor"/>.</param>
    public static double ExtensionConfidence(ReadOnlySpan<byte> delivered, ReadOnlySpan<byte> chunk, double typicalDelta, double timing)
    {
        // Lengths are of the text, not of its escapes (DecodedLength): "\u0060\u0060\u0060" is three bytes of text.
        var deliveredText = DecodedLength.Of(delivered);
        var chunkText = deliveredText + DecodedLength.Of(chunk[delivered.Length..]);
        var prefix = RepeatsAWord(delivered, chunk) ? 1 : 1 - Math.Exp(-deliveredText / 6.0);
        return Combine(prefix, LengthFactor(chunkText, deliveredText, typicalDelta), Similarity(delivered, chunk), timing);
    }

    /// <summary>
    /// Word evidence for a chunk that starts with everything delivered and extends it: read as genuine,
    /// the text would repeat a whole word or mark with no separator ("The", "The quick" → "TheThe quick";
    /// "I", "I'll" → "II'll"; "```", "```python" → "``````python"), which models do not write. It holds
    /// when the delivered text has two or more characters and is not a number (a letter among them, or
    /// punctuation and symbols only), or is a single letter that the chunk follows with a space or
    /// punctuation. Left to the other factors: numbers ("6" → "66", "1" → "1. Step"), a single mark
    /// ("#" → "## Title", "-" → "- item"), a letter followed by letters ("a" → "ab", "谢" → "谢谢你"),
    /// whitespace, and a chunk that repeats the text again ("ha" → "haha", "--" → "---").
    /// </summary>
    public static bool RepeatsAWord(ReadOnlySpan<byte> delivered, ReadOnlySpan<byte> chunk)
    {
        // Longer texts are confirmed by the prefix length alone; this bounds the work per chunk.
        if (delivered.IsEmpty || chunk.Length <= delivered.Length
            || delivered.Length > WordEvidenceMaxBytes && DecodedLength.Of(delivered) > WordEvidenceMaxBytes)
        {
            return false;
        }
        var extension = chunk[delivered.Length..];
        if (extension.StartsWith(delivered) || delivered.StartsWith(extension))
        {
            return false; // periodic: "ha", "haha" is as likely laughter as a snapshot
        }
        var runes = new RawJsonRunes(delivered);
        Rune first = default;
        var count = 0;
        bool hasLetter = false, marksOnly = true;
        while (runes.TryNext(out var rune))
        {
            first = count++ == 0 ? rune : first;
            hasLetter |= Rune.IsLetter(rune);
            marksOnly &= Rune.IsPunctuation(rune) || Rune.IsSymbol(rune);
        }
        if (count == 1)
        {
            return Rune.IsLetter(first) && new RawJsonRunes(extension).TryNext(out var next) && (Rune.IsWhiteSpace(next) || Rune.IsPunctuation(next));
        }
        return hasLetter || marksOnly;
    }

    /// <summary>Confidence that <paramref name="chunk"/> (equal to, or a prefix of, <paramref name="delivered"/>) is a replay.</summary>
    public static double ReplayConfidence(ReadOnlySpan<byte> delivered, ReadOnlySpan<byte> chunk, double typicalDelta, double timing)
    {
        // sqrt keeps a few bytes apart from a couple ("Hello" again vs "=" again) while reaching 1 at 64.
        var chunkText = DecodedLength.Of(chunk);
        var prefix = Math.Sqrt(Math.Min(1, chunkText / 64.0));
        // A replay is as long as (part of) the text so far, which is long compared with a delta.
        var length = double.IsNaN(typicalDelta) ? 0.5 : Math.Clamp(chunkText / Math.Max(1, typicalDelta) - 1, 0, 1);
        return Combine(prefix, length, Similarity(delivered[..chunk.Length], chunk), timing);
    }

    /// <summary>
    /// 0.75 when the chunk arrived in a burst (under a quarter of the usual gap), 0.5 at the usual cadence,
    /// down to 0.25 when it was slow. Neutral (0.5) until the stream has a cadence. Kept inside
    /// [0.25, 0.75]: network jitter alone must never move a decision across a threshold.
    /// </summary>
    public static double TimingFactor(double gapMs, double usualGapMs)
    {
        if (usualGapMs <= 0 || double.IsNaN(usualGapMs))
        {
            return 0.5;
        }
        var ratio = gapMs / usualGapMs;
        return ratio < 0.25 ? 0.75 : Math.Clamp(1 - ratio / 2, 0.25, 0.75);
    }

    private static double LengthFactor(int chunkLength, int deliveredLength, double typicalDelta)
    {
        // Cumulative predicts chunk ≈ delivered + delta (ratio ≥ 2 once anything was delivered); genuine
        // predicts chunk ≈ delta (ratio ≈ 1). Neutral until the stream has shown a typical delta.
        if (double.IsNaN(typicalDelta))
        {
            return 0.5;
        }
        var ratio = chunkLength / Math.Max(1, typicalDelta);
        return deliveredLength == 0 ? 0 : Math.Clamp(ratio - 1, 0, 1);
    }

    private static double Similarity(ReadOnlySpan<byte> delivered, ReadOnlySpan<byte> chunk)
    {
        var window = Math.Min(SimilarityWindow, Math.Min(delivered.Length, chunk.Length));
        var start = Math.Min(delivered.Length, chunk.Length) - window;
        return Levenshtein.Similarity(delivered.Slice(start, window), chunk.Slice(start, window));
    }

    private static double Combine(double prefix, double length, double similarity, double timing) =>
        PrefixWeight * prefix + LengthWeight * length + SimilarityWeight * similarity + TimingWeight * timing;
}
