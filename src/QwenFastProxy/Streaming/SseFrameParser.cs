using System.Buffers;

namespace QwenFastProxy.Streaming;

/// <summary>
/// Splits a server-sent-event byte stream into frames (events) without decoding it: a frame ends at a
/// blank line, and lines end with CRLF, LF or a lone CR (the SSE specification accepts all three). A CR
/// at the very end of the buffer may be the first half of a CRLF, so the frame waits for the next byte
/// unless the stream has ended. Frames and UTF-8 characters cut across reads simply wait for more bytes.
/// </summary>
internal static class SseFrameParser
{
    private static ReadOnlySpan<byte> LineBreaks => "\r\n"u8;

    /// <summary>Takes the next complete frame (blank line included) from the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Unread bytes; advanced past the frame on success.</param>
    /// <param name="isFinal">True when no more bytes will come: a trailing CR then ends its line.</param>
    /// <param name="frame">The frame's raw bytes, terminator included.</param>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, bool isFinal, out ReadOnlySequence<byte> frame)
    {
        var reader = new SequenceReader<byte>(buffer);
        var lineStart = reader.Consumed;
        while (reader.TryAdvanceToAny(LineBreaks, advancePastDelimiter: false))
        {
            var lineLength = reader.Consumed - lineStart;
            reader.TryRead(out var delimiter);
            if (delimiter == (byte)'\r')
            {
                if (reader.End)
                {
                    if (!isFinal)
                    {
                        break; // maybe CRLF split across reads
                    }
                }
                else if (reader.IsNext((byte)'\n', advancePast: true))
                {
                    // CRLF
                }
            }
            if (lineLength == 0)
            {
                frame = buffer.Slice(0, reader.Position);
                buffer = buffer.Slice(reader.Position);
                return true;
            }
            lineStart = reader.Consumed;
        }
        frame = default;
        return false;
    }

    /// <summary>
    /// Enumerates the lines of a frame, each without its terminator. The blank line that ends the frame is
    /// not returned.
    /// </summary>
    public static LineEnumerator Lines(ReadOnlySpan<byte> frame) => new(frame);

    /// <summary>Reads the <c>data</c> field of a line: true with the value (one leading space removed).</summary>
    public static bool TryGetData(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> value)
    {
        if (line.StartsWith("data"u8))
        {
            if (line.Length == 4)
            {
                value = default;
                return true;
            }
            if (line[4] == (byte)':')
            {
                value = line[5..];
                if (!value.IsEmpty && value[0] == (byte)' ')
                {
                    value = value[1..];
                }
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>Lines of a contiguous frame.</summary>
    public ref struct LineEnumerator
    {
        private ReadOnlySpan<byte> _rest;

        public LineEnumerator(ReadOnlySpan<byte> frame)
        {
            _rest = frame;
            Current = default;
        }

        public ReadOnlySpan<byte> Current { get; private set; }

        /// <summary>The current line with its terminator, for copying it unchanged.</summary>
        public ReadOnlySpan<byte> CurrentWithTerminator { get; private set; }

        public readonly LineEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }
            var end = _rest.IndexOfAny(LineBreaks);
            if (end < 0)
            {
                Current = _rest;
                CurrentWithTerminator = _rest;
                _rest = default;
                return !Current.IsEmpty;
            }
            var terminator = _rest[end] == (byte)'\r' && end + 1 < _rest.Length && _rest[end + 1] == (byte)'\n' ? 2 : 1;
            Current = _rest[..end];
            CurrentWithTerminator = _rest[..(end + terminator)];
            _rest = _rest[(end + terminator)..];
            return !Current.IsEmpty; // the blank line ends the frame
        }
    }
}
