namespace QwenFastProxy.Benchmarks.Observability;

/// <summary>
/// A write-only stream that throws the bytes away but counts them and the lines in them, so a benchmark
/// can tell afterwards whether its log lines were written or dropped on the way.
/// </summary>
internal sealed class DiscardingStream : Stream
{
    private long _bytes;
    private long _lines;

    public long BytesWritten => Interlocked.Read(ref _bytes);

    public long LinesWritten => Interlocked.Read(ref _lines);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Interlocked.Add(ref _bytes, buffer.Length);
        Interlocked.Add(ref _lines, buffer.Count((byte)'\n'));
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
