using System.Text;
using System.Text.Json;

namespace QwenFastProxy.TestCorpus;

/// <summary>
/// What a client that appends deltas ends up with, read from an SSE body the way the OpenAI SDKs read
/// it: frames split on blank lines, data lines joined, JSON chunks' delta strings appended per choice.
/// </summary>
public sealed partial class ClientTranscript
{
    private readonly Dictionary<string, StringBuilder> _texts = [];

    public int Frames { get; private set; }

    public bool SawDone { get; private set; }

    public List<string> Errors { get; } = [];

    public static ClientTranscript Read(string body)
    {
        var transcript = new ClientTranscript();
        foreach (var frame in body.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var data = string.Join("\n", frame.Split('\n')
                .Where(l => l.StartsWith("data:", StringComparison.Ordinal))
                .Select(l => l.Length > 5 && l[5] == ' ' ? l[6..] : l[5..]));
            if (data.Length == 0)
            {
                continue;
            }
            transcript.Frames++;
            if (data == "[DONE]")
            {
                transcript.SawDone = true;
                continue;
            }
            transcript.Add(data);
        }
        return transcript;
    }

    /// <summary>
    /// A chunk with its delta strings blanked: everything the repair must leave as it was. Comparing the
    /// shapes of what was sent and what arrived proves every other field, and the frame order, survived.
    /// </summary>
    public static string ShapeOf(string json)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        if (node["choices"] is System.Text.Json.Nodes.JsonArray choices)
        {
            foreach (var choice in choices)
            {
                if (choice?["delta"] is System.Text.Json.Nodes.JsonObject delta)
                {
                    foreach (var field in new[] { "content", "reasoning_content" })
                    {
                        if (delta[field] is System.Text.Json.Nodes.JsonValue value && value.GetValueKind() == JsonValueKind.String)
                        {
                            delta[field] = "";
                        }
                    }
                }
            }
        }
        return node.ToJsonString();
    }

    /// <summary>The data payloads of an SSE body, <c>[DONE]</c> left out.</summary>
    public static List<string> Payloads(string body) =>
        body.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(f => string.Join("\n", f.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l.Length > 5 && l[5] == ' ' ? l[6..] : l[5..])))
            .Where(d => d.Length > 0 && d != "[DONE]")
            .ToList();

    public string Text(string key) => _texts.TryGetValue(key, out var text) ? text.ToString() : "";

    public IEnumerable<string> Keys => _texts.Keys;

    /// <summary>Appends one chunk's deltas (public so SDK-based readers can feed it too).</summary>
    public void Add(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.TryGetProperty("error", out var error))
        {
            Errors.Add(error.ToString());
            return;
        }
        if (!document.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
        {
            return;
        }
        foreach (var choice in choices.EnumerateArray())
        {
            var index = choice.TryGetProperty("index", out var i) ? i.GetInt32() : 0;
            if (!choice.TryGetProperty("delta", out var delta) || delta.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            Append($"{index}/content", delta, "content");
            Append($"{index}/reasoning", delta, "reasoning_content");
            if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    if (call.TryGetProperty("function", out var function) && function.TryGetProperty("arguments", out var arguments))
                    {
                        Builder($"{index}/tool").Append(arguments.GetString());
                    }
                }
            }
        }
    }

    private void Append(string key, JsonElement delta, string property)
    {
        if (delta.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String)
        {
            Builder(key).Append(Decode(value));
        }
    }

    // Lone surrogate escapes (a character cut by the upstream) decode to U+FFFD, as browsers and the
    // OpenAI SDKs' decoders do, instead of failing.
    private static string? Decode(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            var raw = LoneSurrogate().Replace(value.GetRawText(), "\\ufffd");
            return JsonDocument.Parse(raw).RootElement.GetString();
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<![dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")]
    private static partial System.Text.RegularExpressions.Regex LoneSurrogate();

    private StringBuilder Builder(string key)
    {
        if (!_texts.TryGetValue(key, out var builder))
        {
            _texts[key] = builder = new StringBuilder();
        }
        return builder;
    }
}
