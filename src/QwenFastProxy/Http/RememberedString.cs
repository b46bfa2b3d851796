using System.Text;

namespace QwenFastProxy.Http;

/// <summary>
/// The string of some request bytes, remembered for the next request on the same connection: a client
/// sends the same path, user agent and forwarded address request after request, so the access log decodes
/// each once per connection instead of once per line.
/// </summary>
internal struct RememberedString
{
    // Longer values are decoded every time rather than pinning a large copy per connection.
    private const int MaxRemembered = 512;

    private byte[]? _bytes;
    private string? _value;

    public string Get(ReadOnlySpan<byte> bytes, Encoding encoding)
    {
        if (_value is not null && bytes.SequenceEqual(_bytes))
        {
            return _value;
        }
        var value = encoding.GetString(bytes);
        if (bytes.Length <= MaxRemembered)
        {
            _bytes = bytes.ToArray();
            _value = value;
        }
        return value;
    }
}
