using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Runtime.InteropServices;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// Counts the tokens of a text the way a byte-pair tokenizer of Qwen's kind roughly cuts it, without its
/// vocabulary. The text is first cut as Qwen2's pre-tokenizer cuts it: contractions ('s, 're…); a letter run
/// with at most one leading space or sign; each digit alone; a run of signs with an optional leading space
/// and the line breaks after it; a run of whitespace ending in line breaks; other whitespace, whose last
/// space goes with the word that follows. Each piece then costs: one token when it is at most 8 characters
/// long, as common words and operators are whole tokens; one per 5 characters beyond that (ceiling of
/// length + 3 over 5), as long words break into a few sub-words; two tokens per three characters when it
/// holds CJK, since the vocabulary holds most one- and two-character words; one per character when it holds
/// an emoji or another character outside the basic plane. It reads UTF-8 and allocates nothing.
/// </summary>
internal static class TokenEstimate
{
    private const int WholePieceLength = 8;

    /// <summary>The tokens of UTF-8 text.</summary>
    public static int Count(ReadOnlySpan<byte> utf8)
    {
        var tokens = 0;
        var at = 0;
        while (at < utf8.Length)
        {
            var start = at;
            var kind = Classify(utf8, at, out var length);
            var next = at + length;
            var nextKind = next < utf8.Length ? Classify(utf8, next, out _) : Kind.End;
            if (utf8[at] == '\'' && ContractionLength(utf8[next..]) is > 0 and var contraction)
            {
                at = next + contraction;
            }
            else if (kind == Kind.Letter || (kind is Kind.Space or Kind.Other && nextKind == Kind.Letter))
            {
                at = SkipWhile(utf8, kind == Kind.Letter ? start : next, Kind.Letter);
            }
            else if (kind == Kind.Number)
            {
                at = next;
            }
            else if (kind == Kind.Other || (utf8[at] == ' ' && nextKind == Kind.Other))
            {
                at = SkipWhile(utf8, SkipWhile(utf8, kind == Kind.Other ? start : next, Kind.Other), Kind.LineBreak);
            }
            else
            {
                at = EndOfWhitespace(utf8, start);
            }
            tokens += PieceTokens(utf8[start..at]);
        }
        return tokens;
    }

    /// <summary>The tokens of a JSON string value's text (unescaped first when it holds escapes).</summary>
    public static int CountString(JsonElement text)
    {
        var raw = JsonMarshal.GetRawUtf8Value(text);
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return Count(raw[1..^1]);
        }
        var buffer = ArrayPool<byte>.Shared.Rent(raw.Length);
        try
        {
            var reader = new Utf8JsonReader(raw);
            reader.Read();
            return Count(buffer.AsSpan(0, reader.CopyString(buffer)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The tokens of a JSON value written out as JSON text (a schema, a tool's input).</summary>
    public static int CountJson(JsonElement value) => Count(JsonMarshal.GetRawUtf8Value(value));

    private enum Kind { Letter, Number, LineBreak, Space, Other, End }

    private static Kind Classify(ReadOnlySpan<byte> utf8, int at, out int length)
    {
        Rune.DecodeFromUtf8(utf8[at..], out var rune, out length);
        return rune.Value is '\r' or '\n' ? Kind.LineBreak
            : Rune.IsLetter(rune) ? Kind.Letter
            : Rune.IsNumber(rune) ? Kind.Number
            : Rune.IsWhiteSpace(rune) ? Kind.Space
            : Kind.Other;
    }

    private static int SkipWhile(ReadOnlySpan<byte> utf8, int at, Kind kind)
    {
        while (at < utf8.Length && Classify(utf8, at, out var length) == kind)
        {
            at += length;
        }
        return at;
    }

    /// <summary>
    /// Whitespace up to its last line break when it has one; else all of it at the end of the text; else
    /// all but its last character, which belongs to what follows (alone when it is the only one).
    /// </summary>
    private static int EndOfWhitespace(ReadOnlySpan<byte> utf8, int start)
    {
        var at = start;
        var afterBreak = -1;
        var last = start;
        while (at < utf8.Length)
        {
            var kind = Classify(utf8, at, out var length);
            if (kind is not (Kind.Space or Kind.LineBreak))
            {
                break;
            }
            last = at;
            at += length;
            if (kind == Kind.LineBreak)
            {
                afterBreak = at;
            }
        }
        return afterBreak > 0 ? afterBreak
            : at == utf8.Length || last == start ? at
            : last;
    }

    private static int ContractionLength(ReadOnlySpan<byte> after)
    {
        if (after.IsEmpty)
        {
            return 0;
        }
        var first = (byte)(after[0] | 0x20);
        var second = after.Length > 1 ? (byte)(after[1] | 0x20) : (byte)0;
        return first switch
        {
            (byte)'s' or (byte)'t' or (byte)'m' or (byte)'d' => 1,
            (byte)'r' or (byte)'v' when second == 'e' => 2,
            (byte)'l' when second == 'l' => 2,
            _ => 0,
        };
    }

    private static int PieceTokens(ReadOnlySpan<byte> piece)
    {
        var characters = 0;
        var cjk = false;
        var wide = false;
        for (var at = 0; at < piece.Length;)
        {
            Rune.DecodeFromUtf8(piece[at..], out var rune, out var length);
            at += length;
            if (IsJoiner(rune))
            {
                continue;
            }
            characters++;
            cjk |= rune.Value is >= 0x3000 and <= 0x9FFF;
            wide |= rune.Value > 0xFFFF || rune.Value is >= 0x2600 and <= 0x27BF;
        }
        return wide ? characters
            : cjk ? (2 * characters + 2) / 3
            : characters <= WholePieceLength ? 1
            : (characters + 3) / 5;
    }

    /// <summary>Characters that join onto the one before (marks, variation selectors, zero-width joiner) and cost nothing alone.</summary>
    private static bool IsJoiner(Rune rune) =>
        rune.Value is 0x200D or (>= 0xFE00 and <= 0xFE0F)
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark;
}
