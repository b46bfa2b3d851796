namespace QwenFastProxy.Benchmarks.Anthropic;

/// <summary>
/// An upstream body that hands out one event per read, as a network stream of a live model does. Before each read
/// it runs <see cref="BeforeRead"/>: the benchmark drains the client's side there, as a socket would have sent the
/// previous event by the time the next one arrives.
/// </summary>
internal sealed class EventSource : Stream
{
    private byte[][] _events = [];
    private int _next;

    public Action? BeforeRead { get; set; }

    public EventSource Reset(byte[][] events)
    {
        _events = events;
        _next = 0;
        return this;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override int Read(Span<byte> buffer)
    {
        BeforeRead?.Invoke();
        if (buffer.IsEmpty || _next == _events.Length)
        {
            return 0; // a zero-byte read is the relay waiting for data: there is some
        }
        var item = _events[_next++];
        item.CopyTo(buffer);
        return item.Length;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
