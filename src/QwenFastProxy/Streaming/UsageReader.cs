using System.Text.Json;
using QwenFastProxy.Http;

namespace QwenFastProxy.Streaming;

/// <summary>
/// Reads the <c>usage</c> object of an OpenAI-shaped answer: <c>prompt_tokens</c>, <c>completion_tokens</c>,
/// <c>prompt_tokens_details.cached_tokens</c> and <c>completion_tokens_details.reasoning_tokens</c>.
/// Anything else in it is skipped; anything malformed means no usage rather than an exception.
/// </summary>
internal static class UsageReader
{
    /// <summary>The top-level <c>usage</c> of one whole JSON object (a stream chunk).</summary>
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
                    return reader.TokenType == JsonTokenType.StartObject && TryReadObject(ref reader, out usage);
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
    /// The last <c>"usage": {…}</c> in the final bytes of a non-streamed answer, which the upstream writes after
    /// the choices. Text inside a JSON string cannot fake it: a quote there is always escaped.
    /// </summary>
    public static bool TryReadTail(ReadOnlySpan<byte> tail, out TokenUsage usage)
    {
        usage = default;
        var at = tail.LastIndexOf("\"usage\""u8);
        if (at < 0)
        {
            return false;
        }
        var rest = tail[(at + "\"usage\""u8.Length)..].TrimStart(" \t\r\n"u8);
        if (rest.IsEmpty || rest[0] != (byte)':')
        {
            return false;
        }
        rest = rest[1..].TrimStart(" \t\r\n"u8);
        try
        {
            // Not the final block: the object is followed by the rest of the answer.
            var reader = new Utf8JsonReader(rest, isFinalBlock: false, state: default);
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject && TryReadObject(ref reader, out usage);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // On the object's StartObject; true when it closed (a cut-off object is no usage).
    private static bool TryReadObject(ref Utf8JsonReader reader, out TokenUsage usage)
    {
        long prompt = 0, completion = 0, cached = 0, reasoning = 0;
        usage = default;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                usage = new TokenUsage(prompt, completion, cached, reasoning);
                return true;
            }
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                return false;
            }
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                prompt = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                completion = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                cached = ReadDetail(ref reader, "cached_tokens"u8);
            }
            else if (reader.ValueTextEquals("completion_tokens_details"u8))
            {
                reasoning = ReadDetail(ref reader, "reasoning_tokens"u8);
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
    private static long ReadDetail(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!reader.Read())
        {
            return 0;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.TrySkip(); // null: no details
            return 0;
        }
        long value = 0;
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
}
