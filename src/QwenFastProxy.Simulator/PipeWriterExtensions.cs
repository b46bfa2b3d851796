using System.IO.Pipelines;

namespace QwenFastProxy.Simulator;

internal static class PipeWriterExtensions
{
    /// <summary>
    /// Copies <paramref name="bytes"/> into one span asked for at full size. The generic
    /// <c>IBufferWriter.Write</c> asks with no size hint, and Kestrel's response writer answers that with an
    /// empty span before the headers are out, which the generic helper treats as an error.
    /// </summary>
    public static void WriteAll(this PipeWriter writer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }
}
