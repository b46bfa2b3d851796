using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace QwenFastProxy.TestCorpus;

/// <summary>One generated stream of the realistic family: its variant ("genuine", "K=2", …), the deltas it was made from, and its corpus case.</summary>
public sealed record FamilyMember(string Variant, IReadOnlyList<string> Deltas, StutterCase Case)
{
    /// <summary>
    /// True when the stream opens with a chunk that the repair leaves open by rule (README, "Stream
    /// repair"): not a word, so that repeated at K = 2 it reads equally well as genuine and is kept as
    /// such rather than risk losing text. Open: one character other than a letter followed by a space or
    /// punctuation ("-" then "- item", "1" then "1. Step", "可" then "可以"), or several with no letter
    /// that are not all punctuation and symbols ("1." then "1. Step").
    /// </summary>
    public bool OpensAmbiguously
    {
        get
        {
            var runes = Deltas[0].EnumerateRunes().ToList();
            if (runes.Count == 1)
            {
                var next = Deltas.Count > 1 && Deltas[1].Length > 0 ? Rune.GetRuneAt(Deltas[1], 0) : new Rune('x');
                return !(Rune.IsLetter(runes[0]) && (Rune.IsWhiteSpace(next) || Rune.IsPunctuation(next)));
            }
            return !runes.Any(Rune.IsLetter) && !runes.All(r => Rune.IsPunctuation(r) || Rune.IsSymbol(r));
        }
    }
}

/// <summary>
/// The generated family of the stutter corpus: varied answers (prose, code, markdown, CJK, emoji, the
/// usual openings "I", "The", "Yes,", "Here", "Sure!", "##"), cut into tokens the way a byte-pair
/// tokenizer of Qwen's kind cuts them (words with their leading space, digits one by one, contractions
/// and punctuation apart, long words in pieces), streamed 1–3 tokens a chunk, each stream as genuine
/// deltas and with Qwen's usual stutter: the first K chunks each carry the whole text so far, then
/// ordinary deltas follow.
/// </summary>
public static partial class RealisticStreams
{
    /// <summary>The variants every tokenised text is streamed as; K is the number of cumulative chunks at the start.</summary>
    public static readonly string[] Variants = ["genuine", "K=2", "K=3", "K=4", "K=6"];

    /// <summary>Tokenisations per text (different seeds cut different chunks).</summary>
    public const int SeedsPerText = 4;

    private static IReadOnlyList<FamilyMember>? s_all;

    /// <summary>Every stream of the family: texts × seeds × variants.</summary>
    public static IReadOnlyList<FamilyMember> All => s_all ??= Build();

    /// <summary>The answers the family is made from, by name.</summary>
    public static IReadOnlyList<(string Name, string Text)> Answers => Texts;

    /// <summary>How many tokens this family cuts a text into for a seed (long words and CJK are cut at random lengths).</summary>
    public static int TokenCount(string text, int seed) => Tokens(text, new Random(seed)).Count;

    /// <summary>The chunks of one text as a model streams them (deterministic for a seed).</summary>
    public static List<string> Chunks(string text, int seed)
    {
        var random = new Random(seed * 7919 + text.Length);
        var tokens = Tokens(text, random);
        var chunks = new List<string>();
        for (var at = 0; at < tokens.Count;)
        {
            var take = Math.Min(random.Next(1, 4), tokens.Count - at);
            chunks.Add(string.Concat(tokens.Skip(at).Take(take)));
            at += take;
        }
        return chunks;
    }

    /// <summary>The chunks with the first <paramref name="k"/> made cumulative (each the whole text so far).</summary>
    public static List<string> Stutter(IReadOnlyList<string> deltas, int k)
    {
        var chunks = new List<string>(deltas.Count);
        var soFar = new StringBuilder();
        for (var i = 0; i < deltas.Count; i++)
        {
            soFar.Append(deltas[i]);
            chunks.Add(i < k ? soFar.ToString() : deltas[i]);
        }
        return chunks;
    }

    private static List<FamilyMember> Build()
    {
        var streams = new List<FamilyMember>();
        for (var t = 0; t < Texts.Length; t++)
        {
            var (name, text) = Texts[t];
            for (var seed = 1; seed <= SeedsPerText; seed++)
            {
                var deltas = Chunks(text, seed);
                foreach (var variant in Variants)
                {
                    var chunks = variant == "genuine" ? deltas : Stutter(deltas, int.Parse(variant[2..], CultureInfo.InvariantCulture));
                    streams.Add(new FamilyMember(variant, deltas, StutterCorpus.Stream($"real-{name}-{seed}-{variant}", chunks, text)));
                }
            }
        }
        return streams;
    }

    // Qwen2's pre-tokenizer pattern: contractions, a letter run with at most one leading non-letter,
    // single digits, punctuation runs with the line breaks after them, line-break runs, other spaces.
    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")]
    private static partial Regex PreTokenizer();

    // Byte-pair merges are not reproduced; what matters for stutter repair is where cuts fall: whole
    // common words, long words in a few pieces, CJK in one or two characters, each emoji alone.
    private static List<string> Tokens(string text, Random random)
    {
        var tokens = new List<string>();
        foreach (Match match in PreTokenizer().Matches(text))
        {
            var piece = match.Value;
            var elements = TextElements(piece);
            var cjk = elements.Any(e => e.Length == 1 && e[0] >= '\u3000' && e[0] <= '\u9FFF');
            var emoji = elements.Any(e => char.IsSurrogate(e[0]) || e[0] is >= '\u2600' and <= '\u27BF');
            if (cjk || emoji)
            {
                for (var at = 0; at < elements.Count;)
                {
                    var take = cjk && !emoji ? Math.Min(random.Next(1, 3), elements.Count - at) : 1;
                    tokens.Add(string.Concat(elements.Skip(at).Take(take)));
                    at += take;
                }
            }
            else if (elements.Count > 8)
            {
                for (var at = 0; at < elements.Count;)
                {
                    var take = Math.Min(random.Next(3, 8), elements.Count - at);
                    tokens.Add(string.Concat(elements.Skip(at).Take(take)));
                    at += take;
                }
            }
            else
            {
                tokens.Add(piece);
            }
        }
        return tokens;
    }

    private static List<string> TextElements(string text)
    {
        var elements = new List<string>();
        var enumerator = StringInfo.GetTextElementEnumerator(text);
        while (enumerator.MoveNext())
        {
            elements.Add((string)enumerator.Current);
        }
        return elements;
    }

    private static readonly (string Name, string Text)[] Texts =
    [
        ("i-help", "I'll help you fix that. The problem is that the loop reads one element past the end of the array, so the last iteration touches memory it does not own."),
        ("i-think", "I think the cleanest option is to move the retry into the client, where it already knows whether the request was sent."),
        ("i-am", "I'm not sure the cache is the culprit here; let's measure first and look at the allocation profile before changing anything."),
        ("i-alone", "I see two issues:\n\n1. The handler never disposes the stream.\n2. The timeout is read once at start-up, so changes are ignored."),
        ("the-quick", "The quick brown fox jumps over the lazy dog, and the dog does not seem to mind at all."),
        ("the-error", "The error comes from the serializer: it cannot handle a cycle between `Order` and `Customer`. Mark one side with `[JsonIgnore]` or use reference handling."),
        ("the-function", "The function returns early when the input is empty, which is why the second branch never runs in your test."),
        ("yes-correct", "Yes, that is correct. The value is copied when the struct is passed by value, so the caller never sees the change."),
        ("yes-but", "Yes, but only if the connection is idle; an active request keeps its socket until the response has been read."),
        ("no-because", "No, because `Span<T>` cannot live on the heap: it may point at stack memory. Use `Memory<T>` when you need to store it in a field."),
        ("here-is", "Here is a version that reads the file line by line instead of loading it into memory at once:"),
        ("heres", "Here's what changed between the two versions of the API, grouped by the area of the code they touch."),
        ("sure", "Sure! Here's a minimal example that starts a server on port 8080 and answers every request with a short greeting."),
        ("sure-let", "Sure, let me walk through it step by step so that each part of the algorithm is clear before we optimise it."),
        ("heading", "## Summary\n\nThe migration adds a nullable column, backfills it in batches of 10,000 rows, and only then makes it required."),
        ("heading-3", "### Steps to reproduce\n\n1. Start the proxy with `--demo`.\n2. Send a streaming request.\n3. Watch the client print each word twice."),
        ("bold-note", "**Note:** the default timeout is 300 seconds, which is long enough for most completions but not for very large outputs."),
        ("list", "- Use a connection pool.\n- Keep requests small.\n- Retry only idempotent calls, and only before the first byte was sent."),
        ("code-python", "```python\ndef fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n```\n\nThis runs in linear time and constant memory."),
        ("code-csharp", "```csharp\npublic static int Sum(ReadOnlySpan<int> values)\n{\n    var total = 0;\n    foreach (var v in values)\n    {\n        total += v;\n    }\n    return total;\n}\n```"),
        ("code-go", "```go\nfunc handler(w http.ResponseWriter, r *http.Request) {\n\tw.Header().Set(\"Content-Type\", \"application/json\")\n\tjson.NewEncoder(w).Encode(map[string]string{\"status\": \"ok\"})\n}\n```"),
        ("code-js", "You can debounce the handler like this:\n\n```js\nfunction debounce(fn, ms) {\n  let timer;\n  return (...args) => {\n    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), ms);\n  };\n}\n```"),
        ("code-sql", "Use a window function:\n\n```sql\nSELECT id, amount,\n       SUM(amount) OVER (ORDER BY created_at) AS running_total\nFROM payments;\n```"),
        ("code-bash", "Run these commands:\n\n```bash\ndotnet publish -c Release -r linux-x64\n./bin/Release/net10.0/linux-x64/publish/app --port 8143\n```"),
        ("to-fix", "To fix this, add a `using` declaration so the stream is disposed when the method returns, even if an exception is thrown."),
        ("you-can", "You can set the environment variable before starting the process: `export PORT=9000`, then run the binary again."),
        ("this-happens", "This happens because the task is started twice: once by the constructor and once by `StartAsync`."),
        ("it-depends", "It depends on the workload. For many small requests, HTTP/2 multiplexing helps; for a few large downloads, it makes little difference."),
        ("a-common", "A common cause is a missing `await`: the method returns before the write completes, and the connection is closed under it."),
        ("lets", "Let's start with the data model, then write the endpoint, and finally add tests for the edge cases."),
        ("great", "Great question! The garbage collector compacts the heap, so object addresses can change between two reads."),
        ("in-short", "In short: prefer `ValueTask` only on hot paths that usually complete synchronously; elsewhere `Task` is simpler."),
        ("numbered", "1. Install the SDK.\n2. Clone the repository.\n3. Run `dotnet test` and check that every test passes."),
        ("version", "Version 10.0.12 fixes the regression; upgrade with `dotnet add package Microsoft.Extensions.ObjectPool --version 10.0.12`."),
        ("cjk-1", "这个函数在缓冲区为空时应该提前返回，并且两个分支都需要单元测试来覆盖。"),
        ("cjk-2", "好的，我来解释一下：连接池会复用已经建立的连接，从而避免每次请求都重新握手。"),
        ("cjk-3", "可以。首先安装依赖，然后运行 `dotnet test`，最后检查输出中的失败用例。"),
        ("cjk-mixed", "你可以使用 `HttpClient` 的 `SocketsHttpHandler`，并把 `PooledConnectionLifetime` 设置为两分钟。"),
        ("emoji-start", "✅ All tests pass. 🚀 The build is ready to deploy, and the changelog is updated 📝."),
        ("emoji-mid", "Done! The fix is merged 🎉 and the release notes mention it 👍. Let me know if anything looks off 🤔."),
        ("json-answer", "The response looks like this:\n\n```json\n{\"id\": \"chatcmpl-1\", \"object\": \"chat.completion\", \"choices\": [{\"index\": 0}]}\n```"),
        ("table", "| Option | Default | Meaning |\n| --- | --- | --- |\n| `PORT` | 8143 | listen port |\n| `HOST` | 127.0.0.1 | listen address |"),
        ("quote", "\"Premature optimisation is the root of all evil\" is usually quoted without its second half, which says the critical 3% matters."),
        ("accents", "Café, naïve and résumé keep their accents: the encoder writes them as UTF-8, not as escapes."),
        ("short", "Yes."),
        ("short-2", "Done — the tests pass now."),
        ("thanks", "Thanks for the details! With the stack trace it is clear: the handler is disposed before the response is flushed."),
        ("unfortunately", "Unfortunately, the API does not expose that setting; the workaround is to wrap the handler and override `SendAsync`."),
        ("question", "What version of the SDK are you on? The behaviour changed in 8.0, where the default buffer size went from 4 KB to 16 KB."),
        ("based-on", "Based on the log, the upstream closed the connection after 45 seconds of silence, which matches `READ_TIMEOUT_SECONDS`."),
    ];
}
