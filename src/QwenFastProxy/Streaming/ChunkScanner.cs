using System.Text.Json;

namespace QwenFastProxy.Streaming;

/// <summary>Which delta text a token is.</summary>
internal enum DeltaField : byte
{
    Content,
    Reasoning,
}

/// <summary>Where one <c>choices[i].delta.content</c> or <c>reasoning_content</c> string sits in a chunk's JSON.</summary>
/// <param name="Choice">The choice's <c>index</c> (its position when no index is given).</param>
/// <param name="Field">Content or reasoning.</param>
/// <param name="Start">Offset of the opening quote.</param>
/// <param name="End">Offset just after the closing quote.</param>
internal readonly record struct DeltaToken(int Choice, DeltaField Field, int Start, int End)
{
    /// <summary>The string's raw bytes between the quotes, escapes as sent.</summary>
    public ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> json) => json[(Start + 1)..(End - 1)];
}

/// <summary>What kind of data a frame carries.</summary>
internal enum ChunkKind : byte
{
    /// <summary>A JSON object (a chat completion chunk, an error object, anything else).</summary>
    Json,

    /// <summary><c>[DONE]</c>: the end of the stream.</summary>
    Done,

    /// <summary>Not JSON: malformed.</summary>
    Malformed,

    /// <summary>A chunk with a <c>usage</c> object and no choices: the token counts at the end of a stream.</summary>
    UsageOnly,

    /// <summary>A Messages stream's <c>content_block_stop</c>: the block's held text must go out before it.</summary>
    BlockEnd,
}

/// <summary>
/// Finds the delta strings of a chat completion chunk with one forward pass of <see cref="Utf8JsonReader"/>:
/// no DOM, no strings, only byte offsets, so the repair can compare and splice raw bytes.
/// </summary>
internal static class ChunkScanner
{
    /// <summary>Most delta strings recorded per frame; more are left untouched.</summary>
    public const int MaxTokens = 16;

    public static ChunkKind Scan(ReadOnlySpan<byte> json, Span<DeltaToken> tokens, out int count)
    {
        count = 0;
        var trimmed = json.Trim(" \t"u8);
        if (trimmed.SequenceEqual("[DONE]"u8))
        {
            return ChunkKind.Done;
        }
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return ChunkKind.Malformed;
            }
            var choices = 0;
            var usage = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isChoices = reader.ValueTextEquals("choices"u8);
                var isUsage = !isChoices && reader.ValueTextEquals("usage"u8);
                reader.Read();
                if (isChoices && reader.TokenType == JsonTokenType.StartArray)
                {
                    choices += ScanChoices(ref reader, tokens, ref count);
                    continue;
                }
                usage |= isUsage && reader.TokenType == JsonTokenType.StartObject;
                reader.Skip();
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return ChunkKind.Malformed;
            }
            return usage && choices == 0 ? ChunkKind.UsageOnly : ChunkKind.Json;
        }
        catch (JsonException)
        {
            count = 0;
            return ChunkKind.Malformed;
        }
    }

    // Returns the number of choices.
    private static int ScanChoices(ref Utf8JsonReader reader, Span<DeltaToken> tokens, ref int count)
    {
        var position = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                position++;
                continue;
            }
            var first = count;
            var index = position;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) && value >= 0)
                    {
                        index = value;
                    }
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ScanDelta(ref reader, tokens, ref count, position);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            // "index" may follow "delta": fix up the tokens of this choice once it is known.
            for (var i = first; i < count; i++)
            {
                tokens[i] = tokens[i] with { Choice = index };
            }
            position++;
        }
        return position;
    }

    private static void ScanDelta(ref Utf8JsonReader reader, Span<DeltaToken> tokens, ref int count, int choice)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("content"u8) ? DeltaField.Content
                : reader.ValueTextEquals("reasoning_content"u8) ? DeltaField.Reasoning
                : (DeltaField?)null;
            reader.Read();
            if (field is { } f && reader.TokenType == JsonTokenType.String && count < tokens.Length)
            {
                tokens[count++] = new DeltaToken(choice, f, (int)reader.TokenStartIndex, (int)reader.BytesConsumed);
            }
            else
            {
                reader.Skip();
            }
        }
    }
}
