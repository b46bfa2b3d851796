namespace QwenFastProxy.Simulator;

/// <summary>Deterministic text helpers: how answers are cut into stream pieces and how tokens are counted.</summary>
internal static class DeterministicText
{
    /// <summary>Arguments of every simulated tool call; fixed so tests can compare exact strings.</summary>
    public const string ToolArguments = """{"query":"hello world"}""";

    /// <summary>Number of fragments a streamed tool call's arguments are split into.</summary>
    public const int ToolArgumentFragments = 3;

    /// <summary>
    /// Splits <paramref name="text"/> into <paramref name="count"/> pieces of nearly equal length whose
    /// concatenation is exactly <paramref name="text"/>. Never cuts a surrogate pair, so every piece is valid
    /// UTF-16 and encodes to valid UTF-8 on its own; when the text is shorter than the count, fewer pieces come back.
    /// </summary>
    public static List<string> Split(string text, int count)
    {
        count = Math.Clamp(count, 1, Math.Max(1, text.Length));
        var pieces = new List<string>(count);
        var start = 0;
        for (var i = 1; i <= count; i++)
        {
            var end = (int)((long)text.Length * i / count);
            if (end < text.Length && end > 0 && char.IsLowSurrogate(text[end]) && char.IsHighSurrogate(text[end - 1]))
            {
                end++;
            }

            if (end > start || (text.Length == 0 && pieces.Count == 0))
            {
                pieces.Add(text[start..end]);
                start = end;
            }
        }

        return pieces;
    }

    /// <summary>
    /// Stuttering as Qwen does it: the first <paramref name="cumulative"/> pieces become everything so far instead
    /// of only the new part; the rest stay deltas.
    /// </summary>
    public static IEnumerable<string> Stutter(List<string> pieces, int cumulative)
    {
        var soFar = new System.Text.StringBuilder();
        for (var i = 0; i < pieces.Count; i++)
        {
            soFar.Append(pieces[i]);
            yield return i < cumulative ? soFar.ToString() : pieces[i];
        }
    }

    /// <summary>A rough, stable token estimate (about four characters a token, like the OpenAI rule of thumb).</summary>
    public static int EstimateTokens(int characters) => characters <= 0 ? 0 : (characters + 3) / 4;
}
