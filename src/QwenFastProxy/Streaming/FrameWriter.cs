using System.Buffers;
using System.Buffers.Text;

namespace QwenFastProxy.Streaming;

/// <summary>Writes repaired frames: the original lines other than <c>data</c>, then the spliced JSON.</summary>
internal static class FrameWriter
{
    public static void WriteRewritten(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> json, ReadOnlySpan<Edit> edits, IBufferWriter<byte> output)
    {
        var lines = SseFrameParser.Lines(frame);
        while (lines.MoveNext())
        {
            if (!SseFrameParser.TryGetData(lines.Current, out _))
            {
                output.Write(lines.CurrentWithTerminator); // comments, event, id, retry: as sent
            }
        }
        output.Write("data: "u8);
        var at = 0;
        foreach (var edit in edits)
        {
            output.Write(json[at..edit.Start]);
            output.Write("\""u8);
            output.Write(json[edit.ReplacementStart..edit.ReplacementEnd]);
            output.Write("\""u8);
            at = edit.End;
        }
        output.Write(json[at..]);
        output.Write("\n\n"u8);
    }

    /// <summary>A minimal chunk carrying text that was held back and never completed by the upstream.</summary>
    public static void WriteTailChunk(int choice, DeltaField field, ReadOnlySpan<byte> rawText, IBufferWriter<byte> output)
    {
        output.Write("data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":"u8);
        var span = output.GetSpan(11);
        Utf8Formatter.TryFormat(choice, span, out var written);
        output.Advance(written);
        output.Write(field == DeltaField.Content ? ",\"delta\":{\"content\":\""u8 : ",\"delta\":{\"reasoning_content\":\""u8);
        output.Write(rawText);
        output.Write("\"},\"finish_reason\":null}]}\n\n"u8);
    }

    /// <summary>The Messages-event form of <see cref="WriteTailChunk"/>: a <c>content_block_delta</c> of the block.</summary>
    public static void WriteTailEvent(int block, DeltaField field, ReadOnlySpan<byte> rawText, IBufferWriter<byte> output)
    {
        output.Write("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":"u8);
        var span = output.GetSpan(11);
        Utf8Formatter.TryFormat(block, span, out var written);
        output.Advance(written);
        output.Write(field == DeltaField.Content
            ? ",\"delta\":{\"type\":\"text_delta\",\"text\":\""u8
            : ",\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\""u8);
        output.Write(rawText);
        output.Write("\"}}\n\n"u8);
    }
}
