using System.Runtime.InteropServices;
using System.Text.Json;
using QwenFastProxy.Buffers;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// The client's string values copied into the upstream request in their escaped form, as they stand in
/// the body: text (often large, as base64 images and long tool results are) passes through without being
/// decoded and encoded again, and joined values are assembled in one pooled buffer.
/// </summary>
internal sealed class EscapedText : IDisposable
{
    private readonly PooledBytes _scratch = new();

    /// <summary>The escaped characters of a string value, without its quotes.</summary>
    public static ReadOnlySpan<byte> Of(JsonElement text) => JsonMarshal.GetRawUtf8Value(text)[1..^1];

    public static bool IsEmpty(JsonElement text) => JsonMarshal.GetRawUtf8Value(text).Length == 2;

    public static void Write(Utf8JsonWriter json, JsonElement text) =>
        json.WriteRawValue(JsonMarshal.GetRawUtf8Value(text), skipInputValidation: true);

    /// <summary>Starts a string value assembled from escaped pieces; <see cref="WriteEnd"/> writes it.</summary>
    public void Start() => _scratch.Set("\""u8);

    /// <summary>Adds characters that are already escaped (a piece of <see cref="Of"/>, or a literal such as <c>\n\n</c>).</summary>
    public void Append(ReadOnlySpan<byte> escaped) => _scratch.Append(escaped);

    public void WriteEnd(Utf8JsonWriter json)
    {
        _scratch.Append("\""u8);
        json.WriteRawValue(_scratch.Span, skipInputValidation: true);
        _scratch.Clear();
    }

    public void Dispose() => _scratch.Dispose();
}
