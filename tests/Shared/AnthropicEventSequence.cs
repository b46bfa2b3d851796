using System.Text;
using System.Text.Json;

namespace QwenFastProxy.TestCorpus;

/// <summary>
/// Reads an Anthropic Messages event stream the way the official SDKs accumulate it and lists every rule it
/// breaks: one message_start first; content blocks opened in index order 0, 1, 2… one at a time, each delta for the
/// open block and of its kind; tool_use blocks with an id, a name and input deltas that join into a JSON object; one
/// message_delta and one message_stop, with nothing after it. Also keeps what a client ends up with.
/// </summary>
public sealed class AnthropicEventSequence
{
    private static readonly HashSet<string> StopReasons = ["end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"];

    private Block? _open;
    private bool _started;
    private bool _stopped;

    public List<string> Violations { get; } = [];

    /// <summary>Event names in order, pings included.</summary>
    public List<string> EventNames { get; } = [];

    public List<Block> Blocks { get; } = [];

    public JsonElement? Message { get; private set; }

    public int MessageDeltas { get; private set; }

    public string? StopReason { get; private set; }

    /// <summary>The usage object of the message_delta.</summary>
    public JsonElement? Usage { get; private set; }

    /// <summary>The error event's <c>error</c> object, if one came.</summary>
    public JsonElement? Error { get; private set; }

    public bool IsValid => Violations.Count == 0;

    /// <summary>The joined text of the text blocks.</summary>
    public string Text => string.Concat(Blocks.Where(b => b.Type == "text").Select(b => b.Content.ToString()));

    /// <summary>The joined thinking of the thinking blocks.</summary>
    public string Thinking => string.Concat(Blocks.Where(b => b.Type == "thinking").Select(b => b.Content.ToString()));

    public IEnumerable<Block> ToolUses => Blocks.Where(b => b.Type == "tool_use");

    public static AnthropicEventSequence Read(string sse)
    {
        var sequence = new AnthropicEventSequence();
        var frames = sse.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        foreach (var frame in frames)
        {
            sequence.ReadFrame(frame);
        }
        sequence.End();
        return sequence;
    }

    /// <summary>Fails the test with every violation and the stream, unless there are none.</summary>
    public AnthropicEventSequence AssertValid(string sse)
    {
        if (!IsValid)
        {
            throw new InvalidOperationException("Anthropic event stream breaks the rules:\n  " + string.Join("\n  ", Violations) + "\n--- stream ---\n" + sse);
        }
        return this;
    }

    private void ReadFrame(string frame)
    {
        string? name = null;
        var data = new List<string>();
        foreach (var line in frame.Split('\n'))
        {
            if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line[6..].TrimStart(' ');
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Add(line.Length > 5 && line[5] == ' ' ? line[6..] : line[5..]);
            }
        }
        if (data.Count == 0)
        {
            return; // comments
        }
        if (name is null)
        {
            Violations.Add("data without an event line");
            return;
        }
        JsonElement json;
        try
        {
            using var document = JsonDocument.Parse(string.Join("\n", data));
            json = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            Violations.Add($"{name}: data is not JSON ({e.Message})");
            return;
        }
        EventNames.Add(name);
        var type = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type != name)
        {
            Violations.Add($"event {name} carries data of type {type ?? "(none)"}");
        }
        if (_stopped)
        {
            Violations.Add($"{name} after message_stop");
            return;
        }
        if (!_started && name is not "message_start" and not "error")
        {
            Violations.Add($"{name} before message_start");
        }
        switch (name)
        {
            case "message_start":
                OnMessageStart(json);
                break;
            case "content_block_start":
                OnBlockStart(json);
                break;
            case "content_block_delta":
                OnBlockDelta(json);
                break;
            case "content_block_stop":
                OnBlockStop(json);
                break;
            case "message_delta":
                OnMessageDelta(json);
                break;
            case "message_stop":
                if (_open is not null)
                {
                    Violations.Add($"message_stop with content block {_open.Index} still open");
                }
                if (MessageDeltas != 1)
                {
                    Violations.Add($"message_stop after {MessageDeltas} message_delta events, not one");
                }
                _stopped = true;
                break;
            case "error":
                Error = json.TryGetProperty("error", out var error) ? error : null;
                if (Error is not { ValueKind: JsonValueKind.Object } e || !e.TryGetProperty("type", out _) || !e.TryGetProperty("message", out _))
                {
                    Violations.Add("error event without an error object of type and message");
                }
                break;
            case "ping":
                break;
            default:
                Violations.Add($"unknown event {name}");
                break;
        }
    }

    private void OnMessageStart(JsonElement json)
    {
        if (_started)
        {
            Violations.Add("duplicate message_start");
            return;
        }
        _started = true;
        if (!json.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
        {
            Violations.Add("message_start without a message");
            return;
        }
        Message = message;
        Expect(message, "type", "message", "message_start");
        Expect(message, "role", "assistant", "message_start");
        if (!IsNonEmptyString(message, "id") || !IsNonEmptyString(message, "model"))
        {
            Violations.Add("message_start without id or model");
        }
        if (!message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array || content.GetArrayLength() != 0)
        {
            Violations.Add("message_start content is not an empty array");
        }
        if (!message.TryGetProperty("stop_reason", out var stop) || stop.ValueKind != JsonValueKind.Null)
        {
            Violations.Add("message_start stop_reason is not null");
        }
        if (!message.TryGetProperty("usage", out var usage) || !usage.TryGetProperty("input_tokens", out _))
        {
            Violations.Add("message_start without usage.input_tokens");
        }
    }

    private void OnBlockStart(JsonElement json)
    {
        var index = IndexOf(json);
        if (_open is not null)
        {
            Violations.Add($"content_block_start {index} while block {_open.Index} is open");
        }
        if (index != Blocks.Count)
        {
            Violations.Add($"content_block_start index {index}, expected {Blocks.Count}");
        }
        if (!json.TryGetProperty("content_block", out var start) || start.ValueKind != JsonValueKind.Object)
        {
            Violations.Add($"content_block_start {index} without content_block");
            return;
        }
        var type = start.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        var block = new Block(index, type);
        switch (type)
        {
            case "text":
                Expect(start, "text", "", "text block start");
                break;
            case "thinking":
                Expect(start, "thinking", "", "thinking block start");
                break;
            case "tool_use":
                if (!IsNonEmptyString(start, "id") || !IsNonEmptyString(start, "name"))
                {
                    Violations.Add($"tool_use block {index} starts without an id or a name");
                }
                block.Id = start.TryGetProperty("id", out var id) ? id.GetString() : null;
                block.Name = start.TryGetProperty("name", out var name) ? name.GetString() : null;
                if (!start.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object)
                {
                    Violations.Add($"tool_use block {index} starts without an input object");
                }
                break;
            default:
                Violations.Add($"content block {index} of unknown type {type}");
                break;
        }
        Blocks.Add(block);
        _open = block;
    }

    private void OnBlockDelta(JsonElement json)
    {
        var index = IndexOf(json);
        if (_open is null || _open.Index != index)
        {
            Violations.Add($"content_block_delta {index}: Content block not found (open: {_open?.Index.ToString() ?? "none"})");
            return;
        }
        if (!json.TryGetProperty("delta", out var delta) || delta.ValueKind != JsonValueKind.Object)
        {
            Violations.Add($"content_block_delta {index} without delta");
            return;
        }
        var type = delta.TryGetProperty("type", out var t) ? t.GetString() : null;
        var (field, blockType) = type switch
        {
            "text_delta" => ("text", "text"),
            "thinking_delta" => ("thinking", "thinking"),
            "signature_delta" => ("signature", "thinking"),
            "input_json_delta" => ("partial_json", "tool_use"),
            _ => ((string?)null, (string?)null),
        };
        if (field is null)
        {
            Violations.Add($"content_block_delta {index} of unknown type {type}");
            return;
        }
        if (blockType != _open.Type)
        {
            Violations.Add($"{type} inside a {_open.Type} block {index}");
            return;
        }
        if (!delta.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String)
        {
            Violations.Add($"{type} {index} without a string {field}");
            return;
        }
        if (type == "signature_delta")
        {
            _open.Signature = value.GetString();
        }
        else
        {
            _open.Content.Append(value.GetString());
        }
    }

    private void OnBlockStop(JsonElement json)
    {
        var index = IndexOf(json);
        if (_open is null || _open.Index != index)
        {
            Violations.Add($"content_block_stop {index}: Content block not found (open: {_open?.Index.ToString() ?? "none"})");
            return;
        }
        _open.Closed = true;
        _open = null;
    }

    private void OnMessageDelta(JsonElement json)
    {
        MessageDeltas++;
        if (MessageDeltas > 1)
        {
            Violations.Add("more than one message_delta");
        }
        if (_open is not null)
        {
            Violations.Add($"message_delta with content block {_open.Index} still open");
        }
        if (!json.TryGetProperty("delta", out var delta) || !delta.TryGetProperty("stop_reason", out var stop) || stop.ValueKind != JsonValueKind.String)
        {
            Violations.Add("message_delta without a stop_reason");
        }
        else
        {
            StopReason = stop.GetString();
            if (!StopReasons.Contains(StopReason!))
            {
                Violations.Add($"message_delta stop_reason {StopReason} is not one the API sends");
            }
        }
        if (!json.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object || !usage.TryGetProperty("output_tokens", out var output) || output.ValueKind != JsonValueKind.Number)
        {
            Violations.Add("message_delta without usage.output_tokens");
        }
        else
        {
            Usage = usage;
        }
    }

    private void End()
    {
        if (!_started)
        {
            Violations.Add("no message_start");
        }
        if (_open is not null)
        {
            Violations.Add($"the stream ends with content block {_open.Index} open");
        }
        if (MessageDeltas == 0)
        {
            Violations.Add("the stream ends without message_delta");
        }
        if (!_stopped)
        {
            Violations.Add("the stream ends without message_stop");
        }
        // A stream that ended in an error may leave a tool's input cut short, as the API's own would.
        if (Error is null)
        {
            foreach (var tool in ToolUses)
            {
                tool.CheckInput(Violations);
            }
        }
    }

    private int IndexOf(JsonElement json)
    {
        if (json.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number && index.TryGetInt32(out var value))
        {
            return value;
        }
        Violations.Add($"{json.GetProperty("type").GetString()} without an index");
        return -1;
    }

    private void Expect(JsonElement parent, string name, string value, string where)
    {
        if (!parent.TryGetProperty(name, out var actual) || actual.ValueKind != JsonValueKind.String || actual.GetString() != value)
        {
            Violations.Add($"{where}: {name} is not \"{value}\"");
        }
    }

    private static bool IsNonEmptyString(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0;

    /// <summary>One content block as the client accumulates it.</summary>
    public sealed class Block(int index, string type)
    {
        public int Index { get; } = index;

        public string Type { get; } = type;

        /// <summary>Text, thinking, or the joined partial_json of a tool_use block.</summary>
        public StringBuilder Content { get; } = new();

        public string? Signature { get; set; }

        public string? Id { get; set; }

        public string? Name { get; set; }

        public bool Closed { get; set; }

        /// <summary>The tool input as parsed JSON (empty input counts as <c>{}</c>, as the SDKs take it).</summary>
        public JsonElement Input
        {
            get
            {
                using var document = JsonDocument.Parse(Content.Length == 0 ? "{}" : Content.ToString());
                return document.RootElement.Clone();
            }
        }

        internal void CheckInput(List<string> violations)
        {
            try
            {
                if (Input.ValueKind != JsonValueKind.Object)
                {
                    violations.Add($"tool_use block {Index} input is JSON but not an object: {Content}");
                }
            }
            catch (JsonException)
            {
                violations.Add($"tool_use block {Index} input does not parse as JSON: {Content}");
            }
        }
    }
}
