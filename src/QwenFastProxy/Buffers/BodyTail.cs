namespace QwenFastProxy.Buffers;

/// <summary>
/// The last bytes of a relayed body, kept so the usage of a non-streamed answer can be read once the body has
/// passed to the client untouched. One per connection, reused.
/// </summary>
internal sealed class BodyTail
{
    /// <summary>Enough for the usage object and the few fields an upstream writes after it.</summary>
    public const int Capacity = 1024;

    private readonly byte[] _bytes = new byte[Capacity];
    private int _length;

    /// <summary>The kept bytes, oldest first.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, _length);

    public void Clear() => _length = 0;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.Length >= Capacity)
        {
            data[^Capacity..].CopyTo(_bytes);
            _length = Capacity;
            return;
        }
        var keep = Math.Min(_length, Capacity - data.Length);
        _bytes.AsSpan(_length - keep, keep).CopyTo(_bytes); // overlapping ranges copy correctly
        data.CopyTo(_bytes.AsSpan(keep));
        _length = keep + data.Length;
    }
}
