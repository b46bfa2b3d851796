using System.Buffers;
using ZLogger;

namespace QwenFastProxy.Benchmarks.Observability;

/// <summary>
/// A ZLogger processor that formats each entry on the logging thread into a reused buffer and drops the
/// bytes. The production processor hands entries to a background writer, so a benchmark of it sees only
/// the hand-off; this one puts the whole cost of a line (capture, format, newline) on the measured thread.
/// </summary>
internal sealed class InlineFormattingProcessor(IZLoggerFormatter formatter) : IAsyncLogProcessor
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    /// <summary>Bytes of the last line, for a sanity check.</summary>
    public int LastLineBytes { get; private set; }

    public void Post(IZLoggerEntry log)
    {
        _buffer.ResetWrittenCount();
        try
        {
            log.FormatUtf8(_buffer, formatter);
        }
        finally
        {
            log.Return();
        }
        if (formatter.WithLineBreak)
        {
            _buffer.Write("\n"u8);
        }
        LastLineBytes = _buffer.WrittenCount;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
