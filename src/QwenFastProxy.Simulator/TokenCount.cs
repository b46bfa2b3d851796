using System.Text.RegularExpressions;

namespace QwenFastProxy.Simulator;

/// <summary>
/// A tokenizer-like count for usage figures: Qwen2's pre-tokenizer splits the text, and each piece counts as
/// one token except long words (a BPE vocabulary holds common words whole and cuts rare long ones) and CJK runs
/// (one or two characters a token). Not Qwen's exact numbers, but close enough in shape that the proxy's own
/// estimate can be checked against it.
/// </summary>
internal static partial class TokenCount
{
    /// <summary>Letters one word token holds before a longer word counts as more.</summary>
    public const int LettersPerWordToken = 10;

    /// <summary>Tokens the chat template adds around each message (<c>&lt;|im_start|&gt;role\n … &lt;|im_end|&gt;\n</c>).</summary>
    public const int PerMessage = 5;

    /// <summary>Tokens in <paramref name="text"/>.</summary>
    public static int Of(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        var total = 0;
        foreach (var match in PreTokenizer().EnumerateMatches(text))
        {
            total += OfPiece(text.AsSpan(match.Index, match.Length));
        }
        return total;
    }

    /// <summary>The longest prefix of <paramref name="text"/> that is at most <paramref name="maxTokens"/> tokens (whole pieces only).</summary>
    public static string Truncate(string text, int maxTokens)
    {
        var total = 0;
        foreach (var match in PreTokenizer().EnumerateMatches(text))
        {
            total += OfPiece(text.AsSpan(match.Index, match.Length));
            if (total > maxTokens)
            {
                return text[..match.Index];
            }
        }
        return text;
    }

    private static int OfPiece(ReadOnlySpan<char> piece)
    {
        var letters = 0;
        var cjk = 0;
        foreach (var c in piece)
        {
            if (c is >= '\u3000' and <= '\u9FFF' or >= '\uAC00' and <= '\uD7AF')
            {
                cjk++;
            }
            else if (char.IsLetter(c))
            {
                letters++;
            }
        }

        if (cjk > 0)
        {
            // Qwen's vocabulary holds many one- and two-character CJK words: about 1.5 characters a token.
            return (cjk * 2 + 2) / 3 + (letters > 0 ? 1 : 0);
        }
        return letters <= LettersPerWordToken ? 1 : 1 + (letters - 1) / LettersPerWordToken;
    }

    // Qwen2's pre-tokenizer pattern: contractions, a letter run with at most one leading non-letter,
    // single digits, punctuation runs with the line breaks after them, line-break runs, other spaces.
    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")]
    private static partial Regex PreTokenizer();
}
