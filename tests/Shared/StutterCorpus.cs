using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace QwenFastProxy.TestCorpus;

/// <summary>
/// One labelled stream: the data payloads the upstream sends (each becomes one SSE frame), and the
/// exact text a client appending deltas must end with, per choice and field ("0/content",
/// "0/reasoning", "0/tool" for the concatenated tool-call arguments).
/// </summary>
public sealed record StutterCase(string Name, IReadOnlyList<string> Payloads, IReadOnlyDictionary<string, string> Expected)
{
    public override string ToString() => Name;
}

/// <summary>
/// The labelled corpus of the stutter repair: hand-written cases for every known trap, and generated
/// ones (genuine, cumulative throughout, cumulative at the start, replays) over prose, code, a markdown
/// table, CJK and emoji text. Shared by the unit tests (StreamRepairer directly) and the integration
/// tests (the real proxy in front of the simulator, read by the OpenAI SDK).
///
/// Rules chosen where a case is genuinely ambiguous (see README, "Stream repair"):
/// - A chunk that extends a delivered word ("The" then "The quick", "I" then "I'm") is cumulative at once.
/// - A chunk that extends a number, a single mark or a letter followed by letters ("6" then "66",
///   "#" then "## Title", "谢" then "谢你") is read as genuine unless the next chunk continues it
///   ("6", "66", "666" reads as cumulative).
/// - Short exact repeats ("=", "**", "ab") are genuine; a repeat of 64 bytes or more is a replay;
///   in between, the next chunk decides.
/// </summary>
public static class StutterCorpus
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static IReadOnlyList<StutterCase>? s_all;

    public static IReadOnlyList<StutterCase> All => s_all ??= Build();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All)
        {
            data.Add(c.Name);
        }
        return data;
    }

    public static StutterCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>A chunk payload in OpenAI's format. <paramref name="rawContent"/> is placed between the quotes as is (for escapes and invalid UTF-8).</summary>
    public static string Chunk(string? content = null, string? reasoning = null, int index = 0, string? role = null, string? finish = null, string? rawContent = null, string? toolJson = null)
    {
        var delta = new StringBuilder("{");
        void Add(string name, string json)
        {
            if (delta.Length > 1)
            {
                delta.Append(',');
            }
            delta.Append('"').Append(name).Append("\":").Append(json);
        }
        if (role is not null)
        {
            Add("role", Quote(role));
        }
        if (rawContent is not null)
        {
            Add("content", "\"" + rawContent + "\"");
        }
        else if (content is not null)
        {
            Add("content", Quote(content));
        }
        if (reasoning is not null)
        {
            Add("reasoning_content", Quote(reasoning));
        }
        if (toolJson is not null)
        {
            Add("tool_calls", toolJson);
        }
        delta.Append('}');
        var finishJson = finish is null ? "null" : Quote(finish);
        return $"{{\"id\":\"chatcmpl-corpus\",\"object\":\"chat.completion.chunk\",\"created\":1795731244,\"model\":\"qwen3-coder-plus\",\"choices\":[{{\"index\":{index},\"delta\":{delta},\"finish_reason\":{finishJson}}}]}}";
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text, Relaxed);

    /// <summary>
    /// The payloads as an upstream that escapes text writes them: System.Text.Json's default encoder, which writes
    /// non-ASCII, the HTML-sensitive characters and the backtick as <c>\uXXXX</c> (Python's <c>ensure_ascii</c> does
    /// the same for non-ASCII). Same text, longer raw bytes.
    /// </summary>
    public static List<string> Escaped(IEnumerable<string> payloads) =>
        payloads.Select(p => System.Text.Json.Nodes.JsonNode.Parse(p)!.ToJsonString()).ToList();

    /// <summary>A content-only stream: the role chunk, one chunk per text, a finish chunk (and a usage chunk).</summary>
    public static StutterCase Stream(string name, IEnumerable<string> contentChunks, string expected, bool usage = false)
    {
        var payloads = new List<string> { Chunk(content: "", role: "assistant") };
        payloads.AddRange(contentChunks.Select(c => Chunk(content: c)));
        payloads.Add(Chunk(finish: "stop"));
        if (usage)
        {
            payloads.Add("""{"id":"chatcmpl-corpus","object":"chat.completion.chunk","created":1795731244,"model":"qwen3-coder-plus","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}}""");
        }
        return new StutterCase(name, payloads, new Dictionary<string, string> { ["0/content"] = expected });
    }

    private static List<StutterCase> Build()
    {
        var cases = new List<StutterCase>
        {
            // The original Go proxy's own test.
            Stream("go-proxy-original", ["Hello", "Hello world", "Hello world, how", " are you"], "Hello world, how are you"),
            Stream("cumulative-throughout", ["The", "The quick", "The quick brown", "The quick brown fox", "The quick brown fox jumps."], "The quick brown fox jumps."),
            Stream("cumulative-char-by-char", ["H", "He", "Hel", "Hell", "Hello", "Hello!"], "Hello!"),
            Stream("cumulative-start-only", ["Sure", "Sure, here", "Sure, here is", " the code:", "\n```python\n", "print(1)\n```"], "Sure, here is the code:\n```python\nprint(1)\n```"),
            Stream("cumulative-two-chunks", ["Hello there", "Hello there, general Kenobi"], "Hello there, general Kenobi"),
            Stream("replay-of-first-chunk", ["Hello", "Hello", "Hello world"], "Hello world"),
            Stream("replay-twice", ["Hello", "Hello", "Hello", "Hello world"], "Hello world"),
            Stream("rewind-in-cumulative", ["abc def", "abc def ghi", "abc def", "abc def ghi jkl"], "abc def ghi jkl"),
            Stream("long-replay-mid-stream", ["A long first sentence that goes on for quite a while, ", "and then the second part arrives. ", "A long first sentence that goes on for quite a while, and then the second part arrives. ", "Then new text."], "A long first sentence that goes on for quite a while, and then the second part arrives. Then new text."),
            Stream("final-empty-content-keeps-text", ["Hello", "Hello world", ""], "Hello world"),
            Stream("usage-after-cumulative", ["Count", "Count: 1", "Count: 1, 2"], "Count: 1, 2", usage: true),

            // Genuine streams a naive prefix rule corrupts.
            Stream("genuine-6-66", ["6", "66"], "666"),
            Stream("genuine-equals-thrice", ["=", "=", "="], "==="),
            Stream("genuine-delta-equals-previous", ["ab", "ab"], "abab"),
            Stream("genuine-markdown-bold", ["**", "bold", "**", " text"], "**bold** text"),
            Stream("genuine-repeated-code-lines", ["    }\n", "    }\n", "}\n"], "    }\n    }\n}\n"),
            Stream("genuine-repeated-lines-long", ["        return nil, err\n", "        return nil, err\n", "    }\n"], "        return nil, err\n        return nil, err\n    }\n"),
            Stream("genuine-repeated-words", ["the", " the", " the", " end"], "the the the end"),
            Stream("genuine-a-ab", ["a", "ab"], "aab"),
            // Ambiguous by nature: three successive extensions read as a cumulative stream (rule above).
            Stream("ambiguous-dashes-read-as-cumulative", ["-", "--", "---"], "---"),
            Stream("genuine-newlines", ["\n", "\n", "\n\n"], "\n\n\n\n"),
            Stream("genuine-empty-deltas", ["Hi", "", " there", ""], "Hi there"),

            // Qwen's usual stutter: two cumulative chunks, then deltas. A word repeated with no
            // separator is never genuine text, so the second chunk is repaired at once, unheld.
            Stream("k2-the-quick", ["The", "The quick", " brown fox"], "The quick brown fox"),
            Stream("k2-contraction", ["I'll", "I'll help you", " fix"], "I'll help you fix"),
            Stream("k2-word-and-comma", ["Yes,", "Yes, that", " is correct."], "Yes, that is correct."),
            Stream("k2-single-letter-then-apostrophe", ["I", "I'm", " sure"], "I'm sure"),
            Stream("k2-code-fence", ["```", "```python", "\nprint(1)\n```"], "```python\nprint(1)\n```"),
            Stream("k2-cjk-word", ["你好", "你好，世界", "！"], "你好，世界！"),
            // Left open by rule (README): read as genuine when the next chunk does not continue them.
            Stream("open-hash-then-heading", ["#", "## Title"], "### Title"),
            Stream("open-digit-then-number", ["1", "12"], "112"),
            Stream("open-letter-then-letters", ["谢", "谢你", "。"], "谢谢你。"),
            Stream("open-periodic-laughter", ["ha", "haha"], "hahaha"),
        };

        // A snapshot cut inside a character: the tail waits for the snapshot that completes it.
        cases.Add(new StutterCase("multibyte-escaped-surrogate-split",
            [Chunk(content: "", role: "assistant"), Chunk(rawContent: "I love it "), Chunk(rawContent: "I love it \\ud83d"), Chunk(rawContent: "I love it \\ud83d\\ude00 so much"), Chunk(finish: "stop")],
            new Dictionary<string, string> { ["0/content"] = "I love it 😀 so much" }));
        cases.Add(Stream("multibyte-cjk-cumulative", ["你好", "你好，世界", "你好，世界！今天"], "你好，世界！今天"));
        cases.Add(Stream("multibyte-emoji-cumulative", ["Done ✅", "Done ✅ tests 🧪", "Done ✅ tests 🧪 pass 🎉"], "Done ✅ tests 🧪 pass 🎉"));

        // Reasoning and content, each with its own repair.
        cases.Add(new StutterCase("reasoning-cumulative-content-genuine",
            [
                Chunk(content: "", role: "assistant"),
                Chunk(reasoning: "Let me think"), Chunk(reasoning: "Let me think about"), Chunk(reasoning: "Let me think about this."),
                Chunk(content: "The"), Chunk(content: " answer"), Chunk(content: " is 42."),
                Chunk(finish: "stop"),
            ],
            new Dictionary<string, string> { ["0/reasoning"] = "Let me think about this.", ["0/content"] = "The answer is 42." }));
        cases.Add(new StutterCase("reasoning-genuine-content-cumulative",
            [
                Chunk(content: "", role: "assistant"),
                Chunk(reasoning: "Step 1."), Chunk(reasoning: " Step 2."),
                Chunk(content: "Result"), Chunk(content: "Result: ok"), Chunk(content: "Result: ok, done"),
                Chunk(finish: "stop"),
            ],
            new Dictionary<string, string> { ["0/reasoning"] = "Step 1. Step 2.", ["0/content"] = "Result: ok, done" }));

        // Tool calls pass untouched and keep their place, even behind held text.
        const string toolStart = """[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]""";
        cases.Add(new StutterCase("tool-calls-only",
            [
                Chunk(content: null, role: "assistant"),
                Chunk(toolJson: toolStart),
                Chunk(toolJson: """[{"index":0,"function":{"arguments":"{\"query\":"}}]"""),
                Chunk(toolJson: """[{"index":0,"function":{"arguments":"\"hello world\"}"}}]"""),
                Chunk(finish: "tool_calls"),
            ],
            new Dictionary<string, string> { ["0/tool"] = """{"query":"hello world"}""", ["0/content"] = "" }));
        cases.Add(new StutterCase("tool-calls-after-held-text",
            [
                Chunk(content: "", role: "assistant"),
                Chunk(content: "6"), Chunk(content: "66"),
                Chunk(toolJson: toolStart),
                Chunk(toolJson: """[{"index":0,"function":{"arguments":"{}"}}]"""),
                Chunk(finish: "tool_calls"),
            ],
            new Dictionary<string, string> { ["0/tool"] = "{}", ["0/content"] = "666" }));
        cases.Add(new StutterCase("tool-calls-after-cumulative-text",
            [
                Chunk(content: "", role: "assistant"),
                Chunk(content: "Let me check"), Chunk(content: "Let me check the weather."),
                Chunk(toolJson: toolStart),
                Chunk(toolJson: """[{"index":0,"function":{"arguments":"{\"query\":\"Paris\"}"}}]"""),
                Chunk(finish: "tool_calls"),
            ],
            new Dictionary<string, string> { ["0/tool"] = """{"query":"Paris"}""", ["0/content"] = "Let me check the weather." }));

        // Two choices stuttering independently.
        cases.Add(new StutterCase("two-choices",
            [
                Chunk(content: "", role: "assistant", index: 0), Chunk(content: "", role: "assistant", index: 1),
                Chunk(content: "Alpha", index: 0), Chunk(content: "Beta", index: 1),
                Chunk(content: "Alpha one", index: 0), Chunk(content: " two", index: 1),
                Chunk(content: "Alpha one two", index: 0), Chunk(content: " three", index: 1),
                Chunk(finish: "stop", index: 0), Chunk(finish: "stop", index: 1),
            ],
            new Dictionary<string, string> { ["0/content"] = "Alpha one two", ["1/content"] = "Beta two three" }));

        AddGenerated(cases);
        return cases;
    }

    private static readonly (string Name, string Text)[] Texts =
    [
        ("prose", "The safest fix is to validate the input before parsing it, return early when the buffer is empty, and cover both branches with a unit test so that the next refactor cannot silently break the contract every caller depends on."),
        ("code", "func parse(b []byte) (int, error) {\n\tif len(b) == 0 {\n\t\treturn 0, errEmpty\n\t}\n\tn := 0\n\tfor _, c := range b {\n\t\tif c < '0' || c > '9' {\n\t\t\treturn 0, errDigit\n\t\t}\n\t\tn = n*10 + int(c-'0')\n\t}\n\treturn n, nil\n}\n"),
        ("table", "| Name | Type | Default |\n| --- | --- | --- |\n| PORT | int | 8143 |\n| DEBUG | bool | false |\n| HOST | string | 127.0.0.1 |\n| LOG_FORMAT | enum | text |\n"),
        ("cjk", "这个函数在缓冲区为空时应该提前返回，并且两个分支都需要单元测试来覆盖。"),
        ("emoji", "Build ✅ Tests 🧪 passed, deploy 🚀 when ready — or ping me 👋 if anything looks off 🤔."),
        ("json", "```json\n{\"name\": \"qwen\", \"values\": [1, 2, 3], \"nested\": {\"ok\": true}}\n```"),
    ];

    private static void AddGenerated(List<StutterCase> cases)
    {
        foreach (var (name, text) in Texts)
        {
            for (var seed = 1; seed <= 2; seed++)
            {
                var deltas = Split(text, seed);
                var snapshots = Cumulative(deltas);
                cases.Add(Stream($"gen-{name}-{seed}-genuine", deltas, text));
                cases.Add(Stream($"gen-{name}-{seed}-cumulative", snapshots, text));
                cases.Add(Stream($"gen-{name}-{seed}-cumulative-first-3", snapshots.Take(3).Concat(deltas.Skip(3)), text));
                var withReplay = new List<string>(snapshots);
                withReplay.Insert(Math.Min(4, withReplay.Count - 1), snapshots[Math.Min(3, snapshots.Count - 1)]);
                cases.Add(Stream($"gen-{name}-{seed}-cumulative-with-replay", withReplay, text));
            }
        }
    }

    // Deterministic split into deltas of 1–12 text elements, never inside a character.
    private static List<string> Split(string text, int seed)
    {
        var random = new Random(seed * 7919 + text.Length);
        var elements = new List<string>();
        var enumerator = StringInfo.GetTextElementEnumerator(text);
        while (enumerator.MoveNext())
        {
            elements.Add((string)enumerator.Current);
        }
        var deltas = new List<string>();
        var at = 0;
        while (at < elements.Count)
        {
            var take = Math.Min(random.Next(1, 13), elements.Count - at);
            deltas.Add(string.Concat(elements.Skip(at).Take(take)));
            at += take;
        }
        return deltas;
    }

    private static List<string> Cumulative(List<string> deltas)
    {
        var snapshots = new List<string>();
        var text = new StringBuilder();
        foreach (var delta in deltas)
        {
            text.Append(delta);
            snapshots.Add(text.ToString());
        }
        return snapshots;
    }
}
