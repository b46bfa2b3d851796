using System.Text.Json;

namespace QwenFastProxy.Streaming;

/// <summary>
/// Finds the delta strings of an Anthropic Messages event, the way <see cref="ChunkScanner"/> does for chat chunks, so
/// the same repair mends a forwarded Messages stream: a <c>content_block_delta</c>'s <c>text_delta.text</c> is
/// content and its <c>thinking_delta.thinking</c> reasoning, the block's <c>index</c> standing for the choice.
/// <c>message_stop</c> ends the stream; <c>content_block_stop</c> ends one block, whose held text must go out
/// before it. Everything else (message_start, ping, tool input, signatures, message_delta, errors) passes untouched.
/// </summary>
internal static class MessagesEventScanner
{
    /// <param name="json">The event's data.</param>
    /// <param name="tokens">Where the delta string is recorded (at most one per event).</param>
    /// <param name="count">How many were recorded.</param>
    /// <param name="endedBlock">For <see cref="ChunkKind.BlockEnd"/>, the block's index; else -1.</param>
    public static ChunkKind Scan(ReadOnlySpan<byte> json, Span<DeltaToken> tokens, out int count, out int endedBlock)
    {
        count = 0;
        endedBlock = -1;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return ChunkKind.Malformed;
            }
            var type = EventType.Other;
            var index = -1;
            var text = default(DeltaToken?);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType != JsonTokenType.String ? EventType.Other
                        : reader.ValueTextEquals("content_block_delta"u8) ? EventType.Delta
                        : reader.ValueTextEquals("content_block_stop"u8) ? EventType.BlockStop
                        : reader.ValueTextEquals("message_stop"u8) ? EventType.MessageStop
                        : EventType.Other;
                }
                else if (reader.ValueTextEquals("index"u8))
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
                        text = ScanDelta(ref reader);
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
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return ChunkKind.Malformed;
            }
            switch (type)
            {
                case EventType.MessageStop:
                    return ChunkKind.Done;
                case EventType.BlockStop when index >= 0:
                    endedBlock = index;
                    return ChunkKind.BlockEnd;
                case EventType.Delta when text is { } token && index >= 0:
                    tokens[0] = token with { Choice = index };
                    count = 1;
                    return ChunkKind.Json;
                default:
                    return ChunkKind.Json;
            }
        }
        catch (JsonException)
        {
            count = 0;
            return ChunkKind.Malformed;
        }
    }

    private enum EventType : byte
    {
        Other,
        Delta,
        BlockStop,
        MessageStop,
    }

    // The delta's text or thinking string; its "type" may come before or after it.
    private static DeltaToken? ScanDelta(ref Utf8JsonReader reader)
    {
        DeltaToken? text = null, thinking = null;
        DeltaField? kind = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                kind = reader.TokenType != JsonTokenType.String ? null
                    : reader.ValueTextEquals("text_delta"u8) ? DeltaField.Content
                    : reader.ValueTextEquals("thinking_delta"u8) ? DeltaField.Reasoning
                    : null;
                continue;
            }
            var field = reader.ValueTextEquals("text"u8) ? DeltaField.Content
                : reader.ValueTextEquals("thinking"u8) ? DeltaField.Reasoning
                : (DeltaField?)null;
            reader.Read();
            if (field is { } f && reader.TokenType == JsonTokenType.String)
            {
                var token = new DeltaToken(0, f, (int)reader.TokenStartIndex, (int)reader.BytesConsumed);
                if (f == DeltaField.Content)
                {
                    text = token;
                }
                else
                {
                    thinking = token;
                }
            }
            else
            {
                reader.Skip();
            }
        }
        return kind switch
        {
            DeltaField.Content => text,
            DeltaField.Reasoning => thinking,
            _ => null,
        };
    }
}
