using System.Buffers;
using System.Text.Json;

namespace QwenFastProxy.Upstream;

/// <summary>
/// What the proxy needs from a chat completion request body — the <c>model</c> and <c>stream</c>
/// members of the top-level object — found with one forward pass of <see cref="Utf8JsonReader"/>, and
/// the model replaced by splicing bytes: the body is never re-serialised through a DOM.
/// </summary>
internal readonly struct ChatRequestBody
{
    private ChatRequestBody(int modelStart, int modelEnd, int objectStart, bool stream, string? model, bool hasModel, bool isKnownModel)
    {
        IsKnownModel = isKnownModel;
        ModelTokenStart = modelStart;
        ModelTokenEnd = modelEnd;
        ObjectStart = objectStart;
        Stream = stream;
        Model = model;
        HasModel = hasModel;
    }

    /// <summary>True when <c>"stream": true</c>.</summary>
    public bool Stream { get; }

    /// <summary>True when a <c>model</c> member exists (of any type; <see cref="Model"/> is null unless it is a string).</summary>
    public bool HasModel { get; }

    /// <summary>True when the model is one of the OAuth tier's models.</summary>
    public bool IsKnownModel { get; }

    /// <summary>The requested model (a cached string for known models).</summary>
    public string? Model { get; }

    /// <summary>Byte range of the model's JSON value (a string's quotes included).</summary>
    public int ModelTokenStart { get; }

    /// <inheritdoc cref="ModelTokenStart"/>
    public int ModelTokenEnd { get; }

    /// <summary>Index just after the top-level <c>{</c>.</summary>
    public int ObjectStart { get; }

    /// <summary>Scans <paramref name="json"/>; false with a message when it is not a JSON object.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out ChatRequestBody body, out string? error)
    {
        body = default;
        error = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "The request body must be a JSON object.";
                return false;
            }
            var objectStart = (int)reader.BytesConsumed;
            var stream = false;
            var hasModel = false;
            string? model = null;
            var isKnownModel = false;
            int modelStart = 0, modelEnd = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                var isStream = !isModel && reader.ValueTextEquals("stream"u8);
                reader.Read();
                if (isModel)
                {
                    // The whole value is remembered, whatever its type: a rewrite must replace a null or a number
                    // too, or the body would carry two "model" members and the upstream would read the old one.
                    hasModel = true;
                    modelStart = (int)reader.TokenStartIndex;
                    var isString = reader.TokenType == JsonTokenType.String;
                    var known = isString && !reader.ValueIsEscaped ? ModelCatalog.FindOAuthModel(reader.ValueSpan) : null;
                    isKnownModel = known is not null;
                    model = known ?? (isString ? reader.GetString() : null);
                    reader.Skip();
                    modelEnd = (int)reader.BytesConsumed;
                }
                else if (isStream)
                {
                    stream = reader.TokenType == JsonTokenType.True;
                }
                else
                {
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "The request body must be a single JSON object.";
                return false;
            }
            body = new ChatRequestBody(modelStart, modelEnd, objectStart, stream, model, hasModel, isKnownModel);
            return true;
        }
        catch (JsonException ex)
        {
            error = "The request body is not valid JSON: " + ex.Message;
            return false;
        }
    }

    /// <summary>
    /// Writes <paramref name="json"/> with the model replaced by <paramref name="model"/> (or inserted
    /// when missing) into a buffer rented from the shared pool; the caller returns it.
    /// </summary>
    public byte[] RewriteModel(ReadOnlySpan<byte> json, JsonEncodedText model, out int length)
    {
        var encoded = model.EncodedUtf8Bytes;
        var quoted = encoded.Length + 2;
        var insertion = HasModel ? quoted : quoted + "\"model\":,".Length;
        var buffer = ArrayPool<byte>.Shared.Rent(json.Length + insertion);
        var span = buffer.AsSpan();
        int head, tail;
        if (HasModel)
        {
            head = ModelTokenStart;
            tail = ModelTokenEnd;
        }
        else
        {
            head = tail = ObjectStart;
        }
        json[..head].CopyTo(span);
        var at = head;
        if (!HasModel)
        {
            "\"model\":"u8.CopyTo(span[at..]);
            at += 8;
        }
        span[at++] = (byte)'"';
        encoded.CopyTo(span[at..]);
        at += encoded.Length;
        span[at++] = (byte)'"';
        if (!HasModel && !IsEmptyObjectAfter(json, ObjectStart))
        {
            span[at++] = (byte)',';
        }
        json[tail..].CopyTo(span[at..]);
        length = at + json.Length - tail;
        return buffer;
    }

    private static bool IsEmptyObjectAfter(ReadOnlySpan<byte> json, int index)
    {
        var rest = json[index..].TrimStart(" \t\r\n"u8);
        return rest.Length > 0 && rest[0] == (byte)'}';
    }
}
