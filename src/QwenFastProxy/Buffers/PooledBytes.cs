using System.Buffers;

namespace QwenFastProxy.Buffers;

/// <summary>
/// A growable byte buffer rented from the shared pool (request bodies, delivered stream text, held
/// frames); <see cref="Dispose"/> returns it.
/// </summary>
internal sealed class PooledBytes : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = [];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>Makes room for <paramref name="total"/> bytes in all, e.g. a body of known length.</summary>
    public void Reserve(int total) => Ensure(total);

    public void Append(in ReadOnlySequence<byte> bytes)
    {
        Ensure(Length + (int)bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(Length));
        Length += (int)bytes.Length;
    }

    /// <summary>Empties the buffer and gives a large one back, so an idle owner does not pin it.</summary>
    public void Reset(int keepAtMost)
    {
        Length = 0;
        if (_buffer.Length > keepAtMost)
        {
            Dispose();
        }
    }

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

    // As a writer (the stream repair writing into a scratch buffer): all the room there is, at least the hint.
    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint)
    {
        Ensure(Length + Math.Max(sizeHint, 256));
        return _buffer.AsSpan(Length);
    }

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint)
    {
        Ensure(Length + Math.Max(sizeHint, 256));
        return _buffer.AsMemory(Length);
    }

    public void Clear() => Length = 0;

    /// <summary>Hands the array to a new owner, who returns it to the shared pool, and leaves this buffer empty.</summary>
    /// <param name="length">How many bytes of the array are written.</param>
    public byte[] Detach(out int length)
    {
        var buffer = _buffer;
        length = Length;
        _buffer = [];
        Length = 0;
        return buffer;
    }

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
