using System.IO.Pipelines;

namespace QwenFastProxy.Http;

/// <summary>
/// Chunked transfer coding for response bodies, written in place: the chunk-size prefix is reserved
/// with a fixed width (leading zeros are valid hex, RFC 9112 §7.1), the payload is written or read
/// directly after it, and the size is filled in afterwards, so no payload byte is copied twice.
/// </summary>
internal static class ChunkedEncoding
{
    /// <summary>"XXXX\r\n": four hex digits cover the largest chunk we emit.</summary>
    public const int PrefixLength = 6;

    /// <summary>Largest payload of one chunk.</summary>
    public const int MaxChunk = 0xFFFF;

    public static ReadOnlySpan<byte> Terminator => "0\r\n\r\n"u8;

    /// <summary>Space for a chunk's payload; pass the count written to <see cref="Commit"/>.</summary>
    public static Memory<byte> Begin(PipeWriter writer, int sizeHint)
    {
        var memory = writer.GetMemory(Math.Min(sizeHint, MaxChunk) + PrefixLength + 2);
        var payload = Math.Min(memory.Length - PrefixLength - 2, MaxChunk);
        return memory.Slice(PrefixLength, payload);
    }

    /// <summary>Fills in the prefix and suffix of a chunk begun with <see cref="Begin"/>.</summary>
    public static void Commit(PipeWriter writer, int payloadLength)
    {
        if (payloadLength == 0)
        {
            return; // a zero-size chunk would end the body
        }
        var span = writer.GetSpan(payloadLength + PrefixLength + 2);
        WriteHex4(span, payloadLength);
        span[4] = (byte)'\r';
        span[5] = (byte)'\n';
        span[PrefixLength + payloadLength] = (byte)'\r';
        span[PrefixLength + payloadLength + 1] = (byte)'\n';
        writer.Advance(PrefixLength + payloadLength + 2);
    }

    /// <summary>Copies <paramref name="payload"/> as one or more chunks.</summary>
    public static void Write(PipeWriter writer, ReadOnlySpan<byte> payload)
    {
        while (!payload.IsEmpty)
        {
            var memory = Begin(writer, payload.Length);
            var take = Math.Min(memory.Length, payload.Length);
            payload[..take].CopyTo(memory.Span);
            Commit(writer, take);
            payload = payload[take..];
        }
    }

    private static void WriteHex4(Span<byte> span, int value)
    {
        const string digits = "0123456789abcdef";
        span[0] = (byte)digits[(value >> 12) & 0xF];
        span[1] = (byte)digits[(value >> 8) & 0xF];
        span[2] = (byte)digits[(value >> 4) & 0xF];
        span[3] = (byte)digits[value & 0xF];
    }
}
