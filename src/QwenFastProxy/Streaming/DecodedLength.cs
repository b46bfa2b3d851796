namespace QwenFastProxy.Streaming;

/// <summary>
/// The length of the text a raw JSON string stands for, in UTF-8 bytes. The detector's length evidence is
/// measured in it, so a stream that escapes characters (<c>\u0060</c> for a backtick as .NET's default
/// encoder writes it, <c>\u4f60</c> for 你 under Python's <c>ensure_ascii</c>) is judged like the same text sent
/// as is: six raw bytes per backtick would otherwise make three backticks look like a long replay.
/// </summary>
internal static class DecodedLength
{
    /// <summary>The decoded length of <paramref name="raw"/>; its raw length when nothing is escaped (the usual case, one vectorised search).</summary>
    public static int Of(ReadOnlySpan<byte> raw)
    {
        var length = 0;
        while (true)
        {
            var escape = raw.IndexOf((byte)'\\');
            if (escape < 0)
            {
                return length + raw.Length;
            }
            length += escape;
            var runes = new RawJsonRunes(raw[escape..]);
            runes.TryNext(out var rune);
            // A valid escape is always longer than its character; a malformed one (a cut "\u12") counts as its raw bytes at most.
            length += Math.Min(rune.Utf8SequenceLength, runes.Position);
            raw = raw[(escape + runes.Position)..];
        }
    }
}
