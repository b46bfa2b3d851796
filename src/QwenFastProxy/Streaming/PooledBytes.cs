using System.Buffers;

namespace QwenFastProxy.Streaming;

/// <summary>A growable byte buffer rented from the shared pool; <see cref="Dispose"/> returns it.</summary>
internal sealed class PooledBytes : IDisposable
{
    private byte[] _buffer = [];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Ensure(Length + bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(Length));
        Length += bytes.Length;
    }

    public void Set(ReadOnlySpan<byte> bytes)
    {
        Length = 0;
        Append(bytes);
    }

    /// <summary>Room for <paramref name="count"/> more bytes; commit them with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int count)
    {
        Ensure(Length + count);
        return _buffer.AsSpan(Length, count);
    }

    public void Advance(int count) => Length += count;

    public void Clear() => Length = 0;

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = [];
        Length = 0;
    }

    private void Ensure(int needed)
    {
        if (needed <= _buffer.Length)
        {
            return;
        }
        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(256, _buffer.Length * 2)));
        _buffer.AsSpan(0, Length).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = grown;
    }
}
