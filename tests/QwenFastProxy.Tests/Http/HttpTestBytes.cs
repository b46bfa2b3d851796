using System.Buffers;
using System.Globalization;
using System.Text;

namespace QwenFastProxy.Tests.Http;

/// <summary>Byte helpers shared by the HTTP/1.1 parser tests.</summary>
internal static class HttpTestBytes
{
    /// <summary>
    /// The Latin-1 bytes of <paramref name="text"/>, where <c>{xx}</c> stands for the byte with hex value
    /// xx. Test data keeps NUL, other controls and obs-text in that form so that test names stay printable.
    /// </summary>
    public static byte[] Decode(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{' && i + 3 < text.Length && text[i + 3] == '}'
                && byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var escaped))
            {
                bytes.Add(escaped);
                i += 3;
                continue;
            }
            if (c > 0xFF)
            {
                throw new ArgumentException($"Character U+{(int)c:X4} is not Latin-1.", nameof(text));
            }
            bytes.Add((byte)c);
        }
        return [.. bytes];
    }

    public static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>A sequence made of one segment per part (empty parts become empty segments).</summary>
    public static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        if (parts.Length == 1)
        {
            return new ReadOnlySequence<byte>(parts[0]);
        }
        var first = new TestSegment(parts[0]);
        var last = first;
        for (var i = 1; i < parts.Length; i++)
        {
            last = last.Append(parts[i]);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Every way of cutting <paramref name="bytes"/> into two non-empty pieces.</summary>
    public static IEnumerable<(int Split, ReadOnlySequence<byte> Sequence)> EveryTwoWaySplit(byte[] bytes)
    {
        for (var split = 1; split < bytes.Length; split++)
        {
            yield return (split, Segments(bytes[..split], bytes[split..]));
        }
    }

    private sealed class TestSegment : ReadOnlySequenceSegment<byte>
    {
        public TestSegment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public TestSegment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new TestSegment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
