using System.Text;

namespace QwenFastProxy.Http;

/// <summary>
/// The header fields of one request, copied out of the connection's pipe into a buffer owned by the
/// connection (so the pipe can be advanced line by line) and indexed without allocating strings.
/// Reused for every request on the connection.
/// </summary>
internal sealed class RequestHeaders
{
    // Kestrel's MaxRequestHeaderCount default; more is an attack or a bug, answered with 431.
    internal const int MaxCount = 100;

    // Most requests carry well under 1 KB of headers: start there and grow up to the limit, so an idle
    // connection does not hold MAX_REQUEST_HEADER_BYTES of memory.
    private const int InitialBytes = 1024;

    // Likewise for the index: SDK clients send about a dozen fields; 16 slots, doubled as needed up to MaxCount.
    private const int InitialEntries = 16;

    private readonly int _capacity;
    private byte[] _bytes;
    private Entry[] _entries = new Entry[InitialEntries];
    private int _used;

    internal RequestHeaders(int capacityBytes)
    {
        _capacity = capacityBytes;
        _bytes = new byte[Math.Min(InitialBytes, capacityBytes)];
    }

    /// <summary>Number of header fields.</summary>
    public int Count { get; private set; }

    /// <summary>The name of field <paramref name="index"/> as sent (case kept).</summary>
    public ReadOnlySpan<byte> NameAt(int index) => _bytes.AsSpan(_entries[index].NameStart, _entries[index].NameLength);

    /// <summary>The value of field <paramref name="index"/>, surrounding whitespace removed.</summary>
    public ReadOnlySpan<byte> ValueAt(int index) => _bytes.AsSpan(_entries[index].ValueStart, _entries[index].ValueLength);

    /// <summary>The first value of the named field (ASCII case-insensitive), if present.</summary>
    public bool TryGet(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        for (var i = 0; i < Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(NameAt(i), name))
            {
                value = ValueAt(i);
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>The first value of the named field as a string, or null (allocates; for cold paths).</summary>
    public string? GetString(ReadOnlySpan<byte> name) =>
        TryGet(name, out var value) ? Encoding.Latin1.GetString(value) : null;

    internal void Clear()
    {
        Count = 0;
        _used = 0;
    }

    /// <summary>Stores a field; false when the buffer or the field count is exhausted.</summary>
    internal bool TryAdd(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var needed = _used + name.Length + value.Length;
        if (Count == MaxCount || needed > _capacity)
        {
            return false;
        }
        if (needed > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Min(_capacity, Math.Max(needed, _bytes.Length * 2)));
        }
        if (Count == _entries.Length)
        {
            Array.Resize(ref _entries, Math.Min(MaxCount, _entries.Length * 2));
        }
        ref var entry = ref _entries[Count++];
        entry.NameStart = _used;
        entry.NameLength = name.Length;
        name.CopyTo(_bytes.AsSpan(_used));
        _used += name.Length;
        entry.ValueStart = _used;
        entry.ValueLength = value.Length;
        value.CopyTo(_bytes.AsSpan(_used));
        _used += value.Length;
        return true;
    }

    private struct Entry
    {
        public int NameStart;
        public int NameLength;
        public int ValueStart;
        public int ValueLength;
    }
}
