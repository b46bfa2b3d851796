namespace QwenFastProxy.Streaming;

/// <summary>
/// A change to one delta string in a chunk's JSON: the token at <c>[Start, End)</c> (quotes included)
/// is replaced by a quoted slice of its own raw bytes, <c>[ReplacementStart, ReplacementEnd)</c> —
/// a suffix, or nothing. Offsets are into the chunk's JSON.
/// </summary>
internal struct Edit
{
    public int Start;
    public int End;
    public int ReplacementStart;
    public int ReplacementEnd;

    /// <summary>Held: the decision is not made yet (the whole string stands until it is).</summary>
    public bool Pending;

    public static Edit From(in DeltaToken token, in RepairDecision decision)
    {
        var edit = new Edit { Start = token.Start, End = token.End };
        edit.Apply(decision);
        return edit;
    }

    public static Edit Undecided(in DeltaToken token) => new()
    {
        Start = token.Start,
        End = token.End,
        ReplacementStart = token.Start + 1,
        ReplacementEnd = token.End - 1,
        Pending = true,
    };

    /// <summary>The raw string the edit is about (between the quotes).</summary>
    public readonly ReadOnlySpan<byte> Chunk(ReadOnlySpan<byte> json) => json[(Start + 1)..(End - 1)];

    public void Apply(in RepairDecision decision)
    {
        var first = Start + 1;
        if (decision.Action == RepairAction.Deliver)
        {
            ReplacementStart = first + decision.Start;
            ReplacementEnd = first + decision.End;
        }
        else
        {
            ReplacementStart = ReplacementEnd = first;
        }
        Pending = false;
    }

    /// <summary>True when the edit leaves the string as it was.</summary>
    public readonly bool IsIdentity => ReplacementStart == Start + 1 && ReplacementEnd == End - 1;
}
