using System.Text.Json;
using QwenFastProxy.Http;

namespace QwenFastProxy.Streaming;

/// <summary>
/// Reads the <c>usage</c> object of an answer, in either API's words: OpenAI's <c>prompt_tokens</c>,
/// <c>completion_tokens</c>, <c>prompt_tokens_details.cached_tokens</c>, <c>completion_tokens_details.reasoning_tokens</c>;
/// Anthropic's <c>input_tokens</c> (without the cached part), <c>output_tokens</c>, <c>cache_read_input_tokens</c>,
/// <c>cache_creation_input_tokens</c>. Anything else in it is skipped; anything malformed means no usage rather
/// than an exception.
/// </summary>
internal static class UsageReader
{
    /// <summary>The top-level <c>usage</c> of one whole JSON object (a stream chunk, a whole answer).</summary>
    public static bool TryReadChunk(ReadOnlySpan<byte> json, out TokenUsage usage)
    {
        usage = default;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isUsage = reader.ValueTextEquals("usage"u8);
                reader.Read();
                if (isUsage)
                {
                    var fields = default(UsageFields);
                    if (reader.TokenType == JsonTokenType.StartObject && TryReadObject(ref reader, ref fields))
                    {
                        usage = fields.ToUsage();
                        return true;
                    }
                    return false;
                }
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The last <c>"usage": {…}</c> in the final bytes of a non-streamed chat answer, which the upstream writes after
    /// the choices. Text inside a JSON string cannot fake it: a quote there is always escaped.
    /// </summary>
    public static bool TryReadTail(ReadOnlySpan<byte> tail, out TokenUsage usage)
    {
        var fields = default(UsageFields);
        var found = TryReadAt(tail, tail.LastIndexOf("\"usage\""u8), ref fields);
        usage = found ? fields.ToUsage() : default;
        return found;
    }

    /// <summary>
    /// The usage of a Messages answer from its first and last bytes: an event stream states the input in
    /// <c>message_start</c> (at its head) and the output in the last <c>message_delta</c> (at its tail), which may
    /// restate the input; a whole answer has one usage, near its end.
    /// </summary>
    public static bool TryReadMessages(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, out TokenUsage usage)
    {
        var fields = default(UsageFields);
        var atStart = TryReadAt(head, head.IndexOf("\"usage\""u8), ref fields);
        // The end's counts overwrite the start's: message_delta's are cumulative.
        var atEnd = TryReadAt(tail, tail.LastIndexOf("\"usage\""u8), ref fields);
        usage = atStart || atEnd ? fields.ToUsage() : default;
        return atStart || atEnd;
    }

    private static bool TryReadAt(ReadOnlySpan<byte> text, int at, ref UsageFields fields)
    {
        if (at < 0)
        {
            return false;
        }
        var rest = text[(at + "\"usage\""u8.Length)..].TrimStart(" \t\r\n"u8);
        if (rest.IsEmpty || rest[0] != (byte)':')
        {
            return false;
        }
        rest = rest[1..].TrimStart(" \t\r\n"u8);
        try
        {
            // Not the final block: the object is followed by the rest of the answer.
            var reader = new Utf8JsonReader(rest, isFinalBlock: false, state: default);
            var read = fields;
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject && TryReadObject(ref reader, ref read))
            {
                fields = read;
                return true;
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // On the object's StartObject; true when it closed (a cut-off object is no usage).
    private static bool TryReadObject(ref Utf8JsonReader reader, ref UsageFields fields)
    {
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                return false;
            }
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                fields.Prompt = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                fields.Completion = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                fields.Cached = ReadDetail(ref reader, "cached_tokens"u8) ?? fields.Cached;
            }
            else if (reader.ValueTextEquals("completion_tokens_details"u8))
            {
                fields.Reasoning = ReadDetail(ref reader, "reasoning_tokens"u8) ?? fields.Reasoning;
            }
            else if (reader.ValueTextEquals("input_tokens"u8))
            {
                fields.Input = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                fields.Output = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("cache_read_input_tokens"u8))
            {
                fields.CacheRead = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
            {
                fields.CacheCreation = ReadCount(ref reader);
            }
            else if (!reader.Read() || !reader.TrySkip())
            {
                return false;
            }
        }
        return false;
    }

    private static long ReadCount(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            return 0;
        }
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value >= 0)
        {
            return value;
        }
        reader.TrySkip(); // an object or array where a count belongs counts as nothing
        return 0;
    }

    // A details object (or null): the one count wanted from it.
    private static long? ReadDetail(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!reader.Read())
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.TrySkip(); // null: no details
            return null;
        }
        long? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                value = ReadCount(ref reader);
            }
            else if (!reader.Read() || !reader.TrySkip())
            {
                return value;
            }
        }
        return value;
    }

    // What one or two usage objects said, in whichever API's words.
    private struct UsageFields
    {
        public long? Prompt, Completion, Cached, Reasoning;
        public long? Input, Output, CacheRead, CacheCreation;

        // Anthropic counts cached input apart from input_tokens; the ledger counts prompt tokens with them, as OpenAI does.
        public readonly TokenUsage ToUsage() => Input is not null || Output is not null
            ? new TokenUsage((Input ?? 0) + (CacheRead ?? 0) + (CacheCreation ?? 0), Output ?? 0, CacheRead ?? 0, 0)
            : new TokenUsage(Prompt ?? 0, Completion ?? 0, Cached ?? 0, Reasoning ?? 0);
    }
}
