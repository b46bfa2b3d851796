using System.Buffers;

namespace QwenFastProxy.Http;

/// <summary>
/// The response body as an <see cref="IBufferWriter{T}"/>: writes land directly in the connection's
/// output buffer inside one open chunk (chunked coding) that <see cref="Commit"/> closes, so a batch of
/// SSE frames becomes one chunk with no intermediate copy.
/// </summary>
internal sealed class BodyWriter : IBufferWriter<byte>
{
    // A chunk opened for small writes fills exactly one pooled block, prefix and suffix included.
    private const int MinimumChunk = ResponseOutput.PooledBodyBytes;

    private readonly ResponseOutput _response;
    private Memory<byte> _memory;
    private int _written;
    private bool _open;

    public BodyWriter(ResponseOutput response) => _response = response;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var needed = Math.Clamp(sizeHint, 1, ChunkedEncoding.MaxChunk);
        if (_open && _memory.Length - _written >= needed)
        {
            return _memory[_written..];
        }
        Commit();
        _memory = _response.GetBodyMemory(Math.Max(needed, MinimumChunk));
        _written = 0;
        _open = true;
        return _memory;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public void Advance(int count) => _written += count;

    /// <summary>Closes the open chunk (if anything was written) so it can be flushed.</summary>
    public void Commit()
    {
        if (_open)
        {
            _response.CommitBody(_written);
            _open = false;
            _written = 0;
            _memory = default;
        }
    }
}
