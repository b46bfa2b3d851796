namespace QwenFastProxy.Anthropic;

/// <summary>
/// Splits a span of whole chat SSE frames at their blank lines (LF, CRLF or CR line ends), without copying.
/// </summary>
internal static class ChatSseFrames
{
    /// <summary>Takes the next non-empty frame (its lines, without the blank line) from <paramref name="rest"/>.</summary>
    public static bool TryNext(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> frame)
    {
        var at = 0;
        while (at < rest.Length)
        {
            var end = rest[at..].IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                break; // the last frame lacks its blank line: take it as it is
            }
            var lineEnd = at + end;
            var next = lineEnd + (rest[lineEnd] == (byte)'\r' && lineEnd + 1 < rest.Length && rest[lineEnd + 1] == (byte)'\n' ? 2 : 1);
            if (end == 0)
            {
                frame = rest[..at];
                rest = rest[next..];
                if (!frame.IsEmpty)
                {
                    return true;
                }
                at = 0; // stray blank lines between frames
                continue;
            }
            at = next;
        }
        frame = rest;
        rest = default;
        return !frame.IsEmpty;
    }
}
