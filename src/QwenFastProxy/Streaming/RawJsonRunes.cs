using System.Buffers.Text;
using System.Text;

namespace QwenFastProxy.Streaming;

/// <summary>
/// The characters of a raw JSON string (the bytes between the quotes, escapes undecoded), one rune at a
/// time, without allocating: the detector reasons about letters and spaces on the bytes it already has.
/// Malformed input yields <see cref="Rune.ReplacementChar"/> and moves on; it never throws.
/// </summary>
internal ref struct RawJsonRunes
{
    private readonly ReadOnlySpan<byte> _raw;
    private int _at;

    public RawJsonRunes(ReadOnlySpan<byte> raw) => _raw = raw;

    /// <summary>Raw bytes consumed so far.</summary>
    public readonly int Position => _at;

    public bool TryNext(out Rune rune)
    {
        if (_at >= _raw.Length)
        {
            rune = default;
            return false;
        }
        if (_raw[_at] != (byte)'\\')
        {
            Rune.DecodeFromUtf8(_raw[_at..], out rune, out var consumed);
            _at += Math.Max(1, consumed);
            return true;
        }
        if (_at + 1 >= _raw.Length)
        {
            _at = _raw.Length;
            rune = Rune.ReplacementChar;
            return true;
        }
        var escaped = _raw[_at + 1];
        _at += 2;
        rune = escaped switch
        {
            (byte)'n' => new Rune('\n'),
            (byte)'t' => new Rune('\t'),
            (byte)'r' => new Rune('\r'),
            (byte)'b' => new Rune('\b'),
            (byte)'f' => new Rune('\f'),
            (byte)'u' => Unicode(),
            _ => escaped < 0x80 ? new Rune(escaped) : Rune.ReplacementChar, // \" \\ \/
        };
        return true;
    }

    // After "\u": four hex digits, and for a high surrogate the "\uXXXX" of its low half.
    private Rune Unicode()
    {
        if (!TryHex(out var unit))
        {
            return Rune.ReplacementChar;
        }
        if (!char.IsHighSurrogate((char)unit))
        {
            return Rune.TryCreate((char)unit, out var bmp) ? bmp : Rune.ReplacementChar;
        }
        if (_at + 1 < _raw.Length && _raw[_at] == (byte)'\\' && _raw[_at + 1] == (byte)'u')
        {
            _at += 2;
            if (TryHex(out var low) && char.IsLowSurrogate((char)low))
            {
                return new Rune((char)unit, (char)low);
            }
        }
        return Rune.ReplacementChar;
    }

    private bool TryHex(out int value)
    {
        value = 0;
        if (_at + 4 > _raw.Length || !Utf8Parser.TryParse(_raw.Slice(_at, 4), out ushort parsed, out var consumed, 'X') || consumed != 4)
        {
            _at = Math.Min(_at + 4, _raw.Length);
            return false;
        }
        _at += 4;
        value = parsed;
        return true;
    }
}
