using System.Runtime.InteropServices;
using System.Text.Json;
using static QwenFastProxy.Anthropic.JsonFields;

namespace QwenFastProxy.Anthropic;

/// <summary>
/// Writes the chat-completions <c>messages</c> of a validated Messages request: the system blocks as one
/// leading system message; a user turn as its tool results (one <c>tool</c> message each, in order) followed
/// by what the user wrote; an assistant turn as one message with its text, reasoning and tool calls.
/// Several texts of one message are joined with a blank line (<see cref="BlockSeparator"/>), as Anthropic
/// renders consecutive blocks as paragraphs; a message is a content array only when it carries an image.
/// </summary>
internal sealed class ChatMessagesWriter(Utf8JsonWriter json) : IDisposable
{
    /// <summary>Between joined text blocks, escaped as it stands in JSON.</summary>
    public static ReadOnlySpan<byte> BlockSeparator => @"\n\n"u8;

    private readonly EscapedText _text = new();

    // The blocks of the user message being built: images from the turn's tool results first, then the
    // user's own texts and images; kept across turns to reuse the list.
    private readonly List<JsonElement> _parts = [];
    private readonly List<JsonElement> _toolTexts = [];
    private readonly List<JsonElement> _reasoning = [];

    public void Write(JsonElement root)
    {
        json.WriteStartArray("messages"u8);
        WriteSystem(root);
        foreach (var message in root.GetProperty("messages"u8).EnumerateArray())
        {
            var content = message.GetProperty("content"u8);
            if (message.GetProperty("role"u8).ValueEquals("user"u8))
            {
                WriteUser(content);
            }
            else
            {
                WriteAssistant(content);
            }
        }
        json.WriteEndArray();
    }

    public void Dispose() => _text.Dispose();

    private void WriteSystem(JsonElement root)
    {
        if (!TryGet(root, "system"u8, out var system))
        {
            return;
        }
        if (system.ValueKind == JsonValueKind.String)
        {
            if (!EscapedText.IsEmpty(system))
            {
                json.WriteStartObject();
                json.WriteString("role"u8, "system"u8);
                json.WritePropertyName("content"u8);
                EscapedText.Write(json, system);
                json.WriteEndObject();
            }
            return;
        }
        _parts.Clear();
        foreach (var block in system.EnumerateArray())
        {
            AddText(block);
        }
        if (_parts.Count > 0)
        {
            json.WriteStartObject();
            json.WriteString("role"u8, "system"u8);
            json.WritePropertyName("content"u8);
            WriteJoinedTexts(_parts);
            json.WriteEndObject();
        }
    }

    private void WriteUser(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            if (!EscapedText.IsEmpty(content))
            {
                json.WriteStartObject();
                json.WriteString("role"u8, "user"u8);
                json.WritePropertyName("content"u8);
                EscapedText.Write(json, content);
                json.WriteEndObject();
            }
            return;
        }
        _parts.Clear();
        foreach (var block in content.EnumerateArray())
        {
            if (TypeIs(block, "tool_result"u8))
            {
                WriteToolResult(block);
            }
        }
        foreach (var block in content.EnumerateArray())
        {
            if (TypeIs(block, "image"u8))
            {
                _parts.Add(block);
            }
            else
            {
                AddText(block);
            }
        }
        if (_parts.Count == 0)
        {
            return;
        }
        json.WriteStartObject();
        json.WriteString("role"u8, "user"u8);
        json.WritePropertyName("content"u8);
        if (_parts.Exists(static p => TypeIs(p, "image"u8)))
        {
            WriteParts();
        }
        else
        {
            WriteJoinedTexts(_parts);
        }
        json.WriteEndObject();
    }

    private void WriteToolResult(JsonElement block)
    {
        json.WriteStartObject();
        json.WriteString("role"u8, "tool"u8);
        json.WritePropertyName("tool_call_id"u8);
        EscapedText.Write(json, block.GetProperty("tool_use_id"u8));
        json.WritePropertyName("content"u8);
        if (!TryGet(block, "content"u8, out var content))
        {
            json.WriteStringValue(""u8);
        }
        else if (content.ValueKind == JsonValueKind.String)
        {
            EscapedText.Write(json, content);
        }
        else
        {
            // The texts go to the tool message; a chat tool message carries no image, so the images move to
            // the user message that follows, where the model still sees them.
            _toolTexts.Clear();
            foreach (var inner in content.EnumerateArray())
            {
                if (TypeIs(inner, "image"u8))
                {
                    _parts.Add(inner);
                }
                else if (!EscapedText.IsEmpty(inner.GetProperty("text"u8)))
                {
                    _toolTexts.Add(inner);
                }
            }
            WriteJoinedTexts(_toolTexts);
        }
        json.WriteEndObject();
    }

    private void WriteParts()
    {
        json.WriteStartArray();
        foreach (var part in _parts)
        {
            json.WriteStartObject();
            if (TypeIs(part, "text"u8))
            {
                json.WriteString("type"u8, "text"u8);
                json.WritePropertyName("text"u8);
                EscapedText.Write(json, part.GetProperty("text"u8));
            }
            else
            {
                json.WriteString("type"u8, "image_url"u8);
                json.WriteStartObject("image_url"u8);
                json.WritePropertyName("url"u8);
                WriteImageUrl(part.GetProperty("source"u8));
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private void WriteImageUrl(JsonElement source)
    {
        if (TypeIs(source, "url"u8))
        {
            EscapedText.Write(json, source.GetProperty("url"u8));
            return;
        }
        _text.Start();
        _text.Append("data:"u8);
        _text.Append(EscapedText.Of(source.GetProperty("media_type"u8)));
        _text.Append(";base64,"u8);
        _text.Append(EscapedText.Of(source.GetProperty("data"u8)));
        _text.WriteEnd(json);
    }

    private void WriteAssistant(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            json.WriteStartObject();
            json.WriteString("role"u8, "assistant"u8);
            json.WritePropertyName("content"u8);
            EscapedText.Write(json, content);
            json.WriteEndObject();
            return;
        }
        _parts.Clear();
        var thinking = _reasoning;
        thinking.Clear();
        var calls = 0;
        foreach (var block in content.EnumerateArray())
        {
            if (TypeIs(block, "thinking"u8))
            {
                // Only the text: the signature is Anthropic's seal over its own reasoning and means
                // nothing to Qwen.
                var text = block.GetProperty("thinking"u8);
                if (!EscapedText.IsEmpty(text))
                {
                    thinking.Add(text);
                }
            }
            else if (TypeIs(block, "tool_use"u8))
            {
                calls++;
            }
            else
            {
                AddText(block);
            }
        }
        if (_parts.Count == 0 && calls == 0 && thinking.Count == 0)
        {
            return;
        }
        json.WriteStartObject();
        json.WriteString("role"u8, "assistant"u8);
        json.WritePropertyName("content"u8);
        if (_parts.Count > 0)
        {
            WriteJoinedTexts(_parts);
        }
        else if (calls > 0)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteStringValue(""u8);
        }
        if (thinking.Count > 0)
        {
            json.WritePropertyName("reasoning_content"u8);
            WriteJoined(thinking);
        }
        if (calls > 0)
        {
            WriteToolCalls(content);
        }
        json.WriteEndObject();
    }

    private void WriteToolCalls(JsonElement content)
    {
        json.WriteStartArray("tool_calls"u8);
        foreach (var block in content.EnumerateArray())
        {
            if (!TypeIs(block, "tool_use"u8))
            {
                continue;
            }
            json.WriteStartObject();
            json.WritePropertyName("id"u8);
            EscapedText.Write(json, block.GetProperty("id"u8));
            json.WriteString("type"u8, "function"u8);
            json.WriteStartObject("function"u8);
            json.WritePropertyName("name"u8);
            EscapedText.Write(json, block.GetProperty("name"u8));
            // The arguments are the input object's JSON text, as the client wrote it, in a string.
            json.WriteString("arguments"u8, TryGet(block, "input"u8, out var input)
                ? JsonMarshal.GetRawUtf8Value(input)
                : "{}"u8);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>Adds a text block to the parts unless its text is empty (other block types are not text and are skipped).</summary>
    private void AddText(JsonElement block)
    {
        if (TypeIs(block, "text"u8) && !EscapedText.IsEmpty(block.GetProperty("text"u8)))
        {
            _parts.Add(block);
        }
    }

    /// <summary>The <c>text</c> of each block, joined.</summary>
    private void WriteJoinedTexts(List<JsonElement> blocks)
    {
        if (blocks.Count == 1)
        {
            EscapedText.Write(json, blocks[0].GetProperty("text"u8));
            return;
        }
        _text.Start();
        for (var i = 0; i < blocks.Count; i++)
        {
            if (i > 0)
            {
                _text.Append(BlockSeparator);
            }
            _text.Append(EscapedText.Of(blocks[i].GetProperty("text"u8)));
        }
        _text.WriteEnd(json);
    }

    /// <summary>String values, joined.</summary>
    private void WriteJoined(List<JsonElement> texts)
    {
        _text.Start();
        for (var i = 0; i < texts.Count; i++)
        {
            if (i > 0)
            {
                _text.Append(BlockSeparator);
            }
            _text.Append(EscapedText.Of(texts[i]));
        }
        _text.WriteEnd(json);
    }
}
