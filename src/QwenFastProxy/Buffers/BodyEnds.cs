namespace QwenFastProxy.Buffers;

/// <summary>
/// The first and last bytes of a relayed body, kept so the usage of an answer can be read once the body has
/// passed to the client untouched: a whole answer states it near its end, an Anthropic event stream at both
/// ends. One per connection, reused.
/// </summary>
internal sealed class BodyEnds
{
    /// <summary>Enough for a usage object and the few fields an upstream writes around it.</summary>
    public const int Capacity = 1024;

    private readonly byte[] _head = new byte[Capacity];
    private readonly byte[] _tail = new byte[Capacity];
    private int _headLength;
    private int _tailLength;

    /// <summary>The body's first bytes.</summary>
    public ReadOnlySpan<byte> Head => _head.AsSpan(0, _headLength);

    /// <summary>The body's last bytes, oldest first.</summary>
    public ReadOnlySpan<byte> Tail => _tail.AsSpan(0, _tailLength);

    public void Clear() => _headLength = _tailLength = 0;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_headLength < Capacity)
        {
            var take = Math.Min(data.Length, Capacity - _headLength);
            data[..take].CopyTo(_head.AsSpan(_headLength));
            _headLength += take;
        }
        if (data.Length >= Capacity)
        {
            data[^Capacity..].CopyTo(_tail);
            _tailLength = Capacity;
            return;
        }
        var keep = Math.Min(_tailLength, Capacity - data.Length);
        _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail); // overlapping ranges copy correctly
        data.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + data.Length;
    }
}
