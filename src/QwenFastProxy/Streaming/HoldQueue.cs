using System.Buffers;
using QwenFastProxy.Buffers;

namespace QwenFastProxy.Streaming;

/// <summary>
/// Frames waiting behind an undecided chunk, in arrival order: their bytes, their JSON and their edits.
/// Reused for the whole stream; its buffers are pooled.
/// </summary>
internal sealed class HoldQueue : IDisposable
{
    private readonly PooledBytes _bytes = new();
    private readonly List<Entry> _entries = new(4);
    private Edit[] _edits = new Edit[8];
    private int _editCount;

    public bool IsEmpty => _entries.Count == 0;

    /// <summary>Bytes held (frames and their JSON).</summary>
    public int Bytes => _bytes.Length;

    public int Add(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> json, ReadOnlySpan<Edit> edits)
    {
        var entry = new Entry(_bytes.Length, frame.Length, _bytes.Length + frame.Length, json.Length, _editCount, edits.Length);
        _bytes.Append(frame);
        _bytes.Append(json);
        if (_editCount + edits.Length > _edits.Length)
        {
            Array.Resize(ref _edits, Math.Max(_edits.Length * 2, _editCount + edits.Length));
        }
        edits.CopyTo(_edits.AsSpan(_editCount));
        _editCount += edits.Length;
        _entries.Add(entry);
        return _entries.Count - 1;
    }

    /// <summary>The queue-wide index of edit <paramref name="local"/> of entry <paramref name="entry"/>.</summary>
    public int EditIndex(int entry, int local) => _entries[entry].EditStart + local;

    /// <summary>The raw chunk of a held edit.</summary>
    public ReadOnlySpan<byte> EditChunk(int edit)
    {
        var entry = EntryOf(edit);
        return _edits[edit].Chunk(_bytes.Span.Slice(entry.JsonStart, entry.JsonLength));
    }

    public void Decide(int edit, in RepairDecision decision) => _edits[edit].Apply(decision);

    /// <summary>Writes every entry (all decided by now) and empties the queue.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        foreach (var entry in _entries)
        {
            var frame = _bytes.Span.Slice(entry.FrameStart, entry.FrameLength);
            var edits = Changed(entry);
            if (edits.IsEmpty)
            {
                output.Write(frame);
            }
            else
            {
                FrameWriter.WriteRewritten(frame, _bytes.Span.Slice(entry.JsonStart, entry.JsonLength), edits, output);
            }
        }
        _entries.Clear();
        _editCount = 0;
        _bytes.Clear();
    }

    public void Clear()
    {
        _entries.Clear();
        _editCount = 0;
        _bytes.Clear();
    }

    public void Dispose() => _bytes.Dispose();

    private Entry EntryOf(int edit)
    {
        foreach (var entry in _entries)
        {
            if (edit >= entry.EditStart && edit < entry.EditStart + entry.EditCount)
            {
                return entry;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(edit));
    }

    // Edits that change something; a held chunk decided "deliver all" becomes an identity edit and is
    // dropped here so the frame goes out byte for byte.
    private ReadOnlySpan<Edit> Changed(in Entry entry)
    {
        var edits = _edits.AsSpan(entry.EditStart, entry.EditCount);
        var kept = 0;
        for (var i = 0; i < edits.Length; i++)
        {
            if (!edits[i].IsIdentity)
            {
                edits[kept++] = edits[i];
            }
        }
        return edits[..kept];
    }

    private readonly record struct Entry(int FrameStart, int FrameLength, int JsonStart, int JsonLength, int EditStart, int EditCount);
}
