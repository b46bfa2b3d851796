using System.Buffers;
using QwenFastProxy.Buffers;

namespace QwenFastProxy.Http;

/// <summary>
/// The request body held whole in a pooled array: the upstream call replays it from memory on retry,
/// and the chat handler scans it for <c>model</c> and <c>stream</c> without a copy. Once the upstream has it
/// for good, <see cref="Release"/> gives the array back and only its length is kept.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    // A large upload should not pin a large array to an idle keep-alive connection.
    private const int KeepBetweenRequests = 64 * 1024;

    private readonly PooledBytes _bytes = new();
    private int _releasedLength = -1;

    /// <summary>Bytes received, still known after <see cref="Release"/>.</summary>
    public int Length => _releasedLength >= 0 ? _releasedLength : _bytes.Length;

    public ReadOnlyMemory<byte> Memory => _bytes.Memory;

    public void Append(ReadOnlySpan<byte> data) => _bytes.Append(data);

    public void Append(in ReadOnlySequence<byte> data) => _bytes.Append(data);

    /// <summary>Reserves room for a body whose size is known up front (Content-Length).</summary>
    public void Reserve(long length) => _bytes.Reserve((int)length);

    public void Reset()
    {
        _releasedLength = -1;
        _bytes.Reset(KeepBetweenRequests);
    }

    /// <summary>Returns the array to the pool before the exchange ends; <see cref="Memory"/> is empty from here on.</summary>
    public void Release()
    {
        if (_releasedLength < 0)
        {
            _releasedLength = _bytes.Length;
            _bytes.Dispose();
        }
    }

    /// <summary>Returns the array to the pool (the connection is closing).</summary>
    public void Dispose() => _bytes.Dispose();
}
