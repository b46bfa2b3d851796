using System.Buffers;
using QwenFastProxy.Buffers;

namespace QwenFastProxy.Http;

/// <summary>
/// The request body held whole in a pooled array: the upstream call replays it from memory on retry,
/// and the chat handler scans it for <c>model</c> and <c>stream</c> without a copy.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    // A large upload should not pin a large array to an idle keep-alive connection.
    private const int KeepBetweenRequests = 64 * 1024;

    private readonly PooledBytes _bytes = new();

    public int Length => _bytes.Length;

    public ReadOnlyMemory<byte> Memory => _bytes.Memory;

    public void Append(ReadOnlySpan<byte> data) => _bytes.Append(data);

    public void Append(in ReadOnlySequence<byte> data) => _bytes.Append(data);

    /// <summary>Reserves room for a body whose size is known up front (Content-Length).</summary>
    public void Reserve(long length) => _bytes.Reserve((int)length);

    public void Reset() => _bytes.Reset(KeepBetweenRequests);

    /// <summary>Returns the array to the pool (the connection is closing).</summary>
    public void Dispose() => _bytes.Dispose();
}
