using System.Buffers;
using System.Text.Json;
using QwenFastProxy.Configuration;

namespace QwenFastProxy.Upstream;

/// <summary>
/// What the proxy needs from a chat completion request body — the <c>model</c> and <c>stream</c>
/// members of the top-level object — found with one forward pass of <see cref="Utf8JsonReader"/>, and
/// the model replaced by splicing bytes: the body is never re-serialised through a DOM.
/// </summary>
internal readonly struct ChatRequestBody
{
    private static readonly byte[] SystemRole = "\"system\""u8.ToArray();
    private static readonly byte[] UsageOption = "\"stream_options\":{\"include_usage\":true},"u8.ToArray();

    private ChatRequestBody(int modelStart, int modelEnd, int objectStart, bool stream, string? model, bool hasModel, bool isKnownModel, BodyEdits? shaping)
    {
        Shaping = shaping;
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

    /// <summary>The request-shaping rewrites this body needs, or null when it needs none (the usual case).</summary>
    public BodyEdits? Shaping { get; }

    /// <summary>True when the shaping adds <c>stream_options.include_usage</c> the client did not ask for.</summary>
    public bool ForcedUsage => Shaping?.ForcedUsage ?? false;

    /// <summary>Scans <paramref name="json"/>; false with a message when it is not a JSON object.</summary>
    /// <param name="json">The body.</param>
    /// <param name="body">What was found.</param>
    /// <param name="error">Why the body was refused.</param>
    /// <param name="shaping">The request-shaping rules whose rewrites to find (<see cref="Shaping"/>).</param>
    public static bool TryParse(ReadOnlySpan<byte> json, out ChatRequestBody body, out string? error, RequestShaping shaping = RequestShaping.None)
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
            BodyEdits? edits = null;
            var hasStreamOptions = false;
            // Dropped members go in runs: a run before a kept member is removed with its commas up to that member;
            // a run at the end, from the end of the last kept member (or the brace) on.
            int dropRunStart = -1, lastKeptEnd = -1, valueEnd = objectStart;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var nameStart = (int)reader.TokenStartIndex;
                var isModel = reader.ValueTextEquals("model"u8);
                var isStream = !isModel && reader.ValueTextEquals("stream"u8);
                var isMessages = !isModel && !isStream && reader.ValueTextEquals("messages"u8);
                hasStreamOptions |= !isModel && !isStream && !isMessages && reader.ValueTextEquals("stream_options"u8);
                var drop = (shaping & RequestShaping.UnsupportedFields) != 0 && !isModel && !isStream && !isMessages && IsUnsupportedField(ref reader);
                reader.Read();
                if (drop)
                {
                    dropRunStart = dropRunStart < 0 ? nameStart : dropRunStart;
                    reader.Skip();
                    valueEnd = (int)reader.BytesConsumed;
                    continue;
                }
                if (dropRunStart >= 0)
                {
                    (edits ??= new()).Add(dropRunStart, nameStart, default);
                    dropRunStart = -1;
                }
                if (isMessages && (shaping & RequestShaping.DeveloperRole) != 0 && reader.TokenType == JsonTokenType.StartArray)
                {
                    FindDeveloperRoles(ref reader, ref edits);
                }
                else if (isModel)
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
                valueEnd = lastKeptEnd = (int)reader.BytesConsumed;
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "The request body must be a single JSON object.";
                return false;
            }
            if (dropRunStart >= 0)
            {
                (edits ??= new()).Add(lastKeptEnd >= 0 ? lastKeptEnd : objectStart, valueEnd, default);
            }
            if (stream && !hasStreamOptions && (shaping & RequestShaping.StreamUsage) != 0)
            {
                // First in the object, so it goes before every other edit; "stream" is always kept, hence the comma.
                (edits ??= new()).InsertFirst(objectStart, UsageOption);
                edits.ForcedUsage = true;
            }
            if (edits is not null)
            {
                edits.KeptMembers = lastKeptEnd >= 0;
            }
            body = new ChatRequestBody(modelStart, modelEnd, objectStart, stream, model, hasModel, isKnownModel, edits);
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
    public byte[] RewriteModel(ReadOnlySpan<byte> json, JsonEncodedText model, out int length) => Rewrite(json, model, out length);

    /// <summary>
    /// Writes <paramref name="json"/> with the request-shaping rewrites applied and, when <paramref name="model"/> is
    /// given, the model replaced (or inserted when missing), into a buffer rented from the shared pool; the caller
    /// returns it. Everything else is copied byte for byte.
    /// </summary>
    public byte[] Rewrite(ReadOnlySpan<byte> json, JsonEncodedText? model, out int length)
    {
        var edits = Shaping is null ? default : Shaping.Items;
        var grows = model is { } m ? m.EncodedUtf8Bytes.Length + "\"model\":\"\",".Length : 0;
        foreach (var edit in edits)
        {
            grows += edit.Replacement.Length;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(json.Length + grows);
        var span = buffer.AsSpan();
        var at = 0;
        var from = 0;
        void CopyTo(int end, ReadOnlySpan<byte> source, Span<byte> target)
        {
            source[from..end].CopyTo(target[at..]);
            at += end - from;
        }
        if (model is { } inserted && !HasModel)
        {
            CopyTo(ObjectStart, json, span);
            from = ObjectStart;
            at += WriteModel(span[at..], inserted, withName: true);
            if (Shaping?.KeptMembers ?? !IsEmptyObjectAfter(json, ObjectStart))
            {
                span[at++] = (byte)',';
            }
        }
        // A replaced model value is one more edit, taken in its place among the shaping edits.
        var modelStart = model is not null && HasModel ? ModelTokenStart : int.MaxValue;
        var modelEnd = ModelTokenEnd;
        void ReplaceModelBefore(int limit, ReadOnlySpan<byte> source, Span<byte> target, JsonEncodedText value)
        {
            if (modelStart < limit)
            {
                CopyTo(modelStart, source, target);
                at += WriteModel(target[at..], value, withName: false);
                from = modelEnd;
                modelStart = int.MaxValue;
            }
        }
        var replacement = model.GetValueOrDefault();
        foreach (var edit in edits)
        {
            ReplaceModelBefore(edit.Start, json, span, replacement);
            CopyTo(edit.Start, json, span);
            edit.Replacement.Span.CopyTo(span[at..]);
            at += edit.Replacement.Length;
            from = edit.End;
        }
        ReplaceModelBefore(json.Length, json, span, replacement);
        CopyTo(json.Length, json, span);
        length = at;
        return buffer;
    }

    private static int WriteModel(Span<byte> target, JsonEncodedText model, bool withName)
    {
        var at = 0;
        if (withName)
        {
            "\"model\":"u8.CopyTo(target);
            at = 8;
        }
        target[at++] = (byte)'"';
        model.EncodedUtf8Bytes.CopyTo(target[at..]);
        at += model.EncodedUtf8Bytes.Length;
        target[at++] = (byte)'"';
        return at;
    }

    // The top-level members DashScope's compatible mode refuses: OpenAI's stored completions, background mode, webhooks.
    private static bool IsUnsupportedField(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("store"u8) || reader.ValueTextEquals("background"u8) || reader.ValueTextEquals("webhook_config"u8);

    // Inside "messages": each message object's "role": "developer" value, to become "system".
    private static void FindDeveloperRoles(ref Utf8JsonReader reader, ref BodyEdits? edits)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isRole = reader.ValueTextEquals("role"u8);
                reader.Read();
                if (isRole && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("developer"u8))
                {
                    (edits ??= new()).Add((int)reader.TokenStartIndex, (int)reader.BytesConsumed, SystemRole);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
    }

    private static bool IsEmptyObjectAfter(ReadOnlySpan<byte> json, int index)
    {
        var rest = json[index..].TrimStart(" \t\r\n"u8);
        return rest.Length > 0 && rest[0] == (byte)'}';
    }
}

/// <summary>Byte ranges of a chat body to replace, in order; made only for a body that needs rewriting.</summary>
internal sealed class BodyEdits
{
    private readonly List<Edit> _items = new(2);

    /// <summary>The edits, by position.</summary>
    public ReadOnlySpan<Edit> Items => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_items);

    /// <summary>False when every top-level member is dropped (an inserted member then needs no comma).</summary>
    public bool KeptMembers { get; set; }

    /// <summary>True when an edit adds <c>stream_options.include_usage</c>.</summary>
    public bool ForcedUsage { get; set; }

    public void Add(int start, int end, ReadOnlyMemory<byte> replacement) => _items.Add(new(start, end, replacement));

    /// <summary>Inserts <paramref name="insertion"/> at <paramref name="at"/>, ahead of every other edit.</summary>
    public void InsertFirst(int at, ReadOnlyMemory<byte> insertion) => _items.Insert(0, new(at, at, insertion));

    /// <summary>Bytes <c>[Start, End)</c> become <see cref="Replacement"/>.</summary>
    public readonly record struct Edit(int Start, int End, ReadOnlyMemory<byte> Replacement);
}
