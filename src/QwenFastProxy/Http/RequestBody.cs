using System.Buffers;

namespace QwenFastProxy.Http;

/// <summary>
/// The request body held whole in a pooled array: the upstream call replays it from memory on retry,
/// and the chat handler scans it for <c>model</c> and <c>stream</c> without a copy.
/// </summary>
internal sealed class RequestBody
{
    private byte[] _buffer = [];
    private int _length;

    public int Length => _length;

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    public void Append(ReadOnlySpan<byte> data)
    {
        EnsureCapacity(_length + data.Length);
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    public void Append(in ReadOnlySequence<byte> data)
    {
        EnsureCapacity(_length + (int)data.Length);
        data.CopyTo(_buffer.AsSpan(_length));
        _length += (int)data.Length;
    }

    /// <summary>Reserves room for a body whose size is known up front (Content-Length).</summary>
    public void Reserve(long length) => EnsureCapacity((int)length);

    public void Reset()
    {
        _length = 0;
        // A large upload should not pin a large array to an idle keep-alive connection.
        if (_buffer.Length > 64 * 1024)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    public void Release()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = [];
        _length = 0;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _buffer.Length)
        {
            return;
        }
        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(4096, _buffer.Length * 2)));
        _buffer.AsSpan(0, _length).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = grown;
    }
}
