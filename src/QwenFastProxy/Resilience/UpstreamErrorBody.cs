using System.Text.Json;

namespace QwenFastProxy.Resilience;

/// <summary>
/// Reads the first bytes of an upstream error body for the three facts classification needs — code, type and
/// message — with a forward-only <see cref="Utf8JsonReader"/>: no DOM, no strings, nothing allocated. Accepts the
/// OpenAI shape (<c>{"error":{"code","message","type"}}</c>), DashScope's native one (top-level
/// <c>code</c>/<c>message</c>) and a bare <c>{"error":"…"}</c>; a prefix cut anywhere simply ends the scan, keeping
/// what was read before.
/// </summary>
internal static class UpstreamErrorBody
{
    /// <summary>
    /// Scratch per field for unescaped copies of escaped values: codes and the messages classification searches are
    /// short, and a longer escaped value is kept as it is (its escapes unresolved).
    /// </summary>
    public const int ScratchBytesPerField = 256;

    private enum Member
    {
        Other,
        Error,
        Code,
        Message,
        Type,
    }

    /// <summary>
    /// The error's fields. <paramref name="scratch"/> is split in three, one part per field; a third of at least
    /// the body's length holds any escaped value whole.
    /// </summary>
    public static UpstreamErrorFields Read(ReadOnlySpan<byte> body, Span<byte> scratch)
    {
        var start = body.IndexOfAnyExcept(" \t\r\n"u8);
        if (start < 0 || body[start] != (byte)'{')
        {
            return default; // not JSON (an HTML error page, say): nothing to read, and no exception to pay for
        }

        var json = body[start..];
        var part = scratch.Length / 3;
        var slots = default(Slots);
        var reader = new Utf8JsonReader(json, isFinalBlock: false, state: default);
        try
        {
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                Scan(ref reader, scratch, part, ref slots, nested: false);
            }
        }
        catch (JsonException)
        {
            // Malformed after a promising start: what was read before the damage stands.
        }
        return new UpstreamErrorFields(
            slots.Code.Of(json, scratch[..part]),
            slots.Type.Of(json, scratch.Slice(part, part)),
            slots.Message.Of(json, scratch.Slice(2 * part, part)));
    }

    // The error object's members win over DashScope's top-level ones, whichever comes first; members of any other
    // object say nothing (a "detail":"quota exceeded" elsewhere is not the error).
    private static void Scan(ref Utf8JsonReader reader, Span<byte> scratch, int part, ref Slots slots, bool nested)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = Name(ref reader);
            if (!reader.Read())
            {
                return;
            }
            if (reader.TokenType == JsonTokenType.String)
            {
                switch (member)
                {
                    case Member.Code:
                        Take(ref reader, scratch[..part], ref slots.Code, nested);
                        break;
                    case Member.Type:
                        Take(ref reader, scratch.Slice(part, part), ref slots.Type, nested);
                        break;
                    case Member.Message:
                        Take(ref reader, scratch.Slice(2 * part, part), ref slots.Message, nested);
                        break;
                    case Member.Error when !nested:
                        // Coding Plan's 405 is {"error":"…"}: the string is the message.
                        Take(ref reader, scratch.Slice(2 * part, part), ref slots.Message, overwrite: true);
                        break;
                }
            }
            else if (member == Member.Error && !nested && reader.TokenType == JsonTokenType.StartObject)
            {
                Scan(ref reader, scratch, part, ref slots, nested: true);
            }
            else if (!reader.TrySkip())
            {
                return; // the prefix ends inside this value
            }
        }
    }

    private static void Take(ref Utf8JsonReader reader, Span<byte> scratch, ref Slot slot, bool overwrite)
    {
        if (slot.Found && !overwrite)
        {
            return;
        }
        slot.Found = true;
        // Unescaping never lengthens a value, so an escaped one no longer than the scratch fits.
        if (reader.ValueIsEscaped && reader.ValueSpan.Length <= scratch.Length)
        {
            slot.InScratch = true;
            slot.Start = 0;
            slot.Length = reader.CopyString(scratch);
        }
        else
        {
            slot.InScratch = false;
            slot.Start = (int)reader.TokenStartIndex + 1; // the index is the opening quote's
            slot.Length = reader.ValueSpan.Length;
        }
    }

    // Names are compared as raw bytes when unescaped (the norm): cheaper than one ValueTextEquals per candidate.
    private static Member Name(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            return reader.ValueTextEquals("error"u8) ? Member.Error
                : reader.ValueTextEquals("code"u8) ? Member.Code
                : reader.ValueTextEquals("message"u8) ? Member.Message
                : reader.ValueTextEquals("type"u8) ? Member.Type
                : Member.Other;
        }
        var name = reader.ValueSpan;
        return name.Length switch
        {
            4 when name.SequenceEqual("code"u8) => Member.Code,
            4 when name.SequenceEqual("type"u8) => Member.Type,
            5 when name.SequenceEqual("error"u8) => Member.Error,
            7 when name.SequenceEqual("message"u8) => Member.Message,
            _ => Member.Other,
        };
    }

    /// <summary>Where one field's value is: in the body (unescaped) or at the start of its scratch part.</summary>
    private struct Slot
    {
        public bool Found;
        public bool InScratch;
        public int Start;
        public int Length;

        public readonly ReadOnlySpan<byte> Of(ReadOnlySpan<byte> json, ReadOnlySpan<byte> scratch) =>
            !Found ? default : InScratch ? scratch[..Length] : json.Slice(Start, Length);
    }

    private struct Slots
    {
        public Slot Code;
        public Slot Type;
        public Slot Message;
    }
}
