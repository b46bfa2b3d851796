using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.StreamLoad;

/// <summary>N concurrent streamed chat completions, each checked for integrity (phase d of compare.sh).</summary>
internal static class SlowStreams
{
    // Failure kinds in the order the summary prints them; a stream counts once, under the first thing that went wrong.
    private static readonly string[] Kinds =
        ["connect", "status", "timeout", "broken", "malformed", "error-frame", "content", "chunks", "no-done", "unterminated", "not-streamed"];

    // Used when no --body is given: a small chat request; the body size does not matter for this phase.
    private const string DefaultBody =
        """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"Explain the digit loop."}]}""";

    public static async Task<int> RunAsync(Arguments arguments, TextWriter output)
    {
        var url = new Uri(arguments.RequiredText("url"));
        var streams = arguments.Integer("streams", 1000, 1);
        var chunks = arguments.Integer("chunks", 30, 1);
        var delayMs = arguments.Integer("delay-ms", 1000, 0);
        var rampMs = arguments.Integer("ramp-ms", 1000, 0);
        // Generous by default: a stream that is merely late (queued behind a backlog) is still intact, but one that
        // takes 30 s longer than the simulator needs is stuck, not slow.
        var timeout = TimeSpan.FromSeconds(arguments.Integer("timeout-s", (rampMs + chunks * delayMs) / 1000 + 30, 1));
        var token = arguments.Text("token") ?? "demo-access-token";
        var body = Encoding.UTF8.GetBytes(StreamingBody(arguments.Text("body")));

        var expected = new Expected(SimulatorOptions.DefaultResponseText, chunks);
        // Half the spread the simulator produces (chunks - 1 pauses between the first and the last delta): loose
        // enough for a loaded box, tight enough to catch a proxy that holds the answer back and sends it in one go.
        var minSpread = delayMs > 0 && expected.Chunks > 1 ? TimeSpan.FromMilliseconds((expected.Chunks - 1) * delayMs / 2.0) : TimeSpan.Zero;

        using var handler = new SocketsHttpHandler
        {
            // HTTP/1.1 cannot multiplex: every stream needs its own connection, so no per-server cap may queue them.
            MaxConnectionsPerServer = int.MaxValue,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = timeout,
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };

        var clock = Stopwatch.StartNew();
        var tasks = new Task<Outcome>[streams];
        for (var i = 0; i < streams; i++)
        {
            var startAt = TimeSpan.FromMilliseconds(streams > 1 ? (double)rampMs * i / (streams - 1) : 0);
            tasks[i] = RunOneAsync(client, url, body, token, expected, clock, startAt, timeout, minSpread);
        }

        var outcomes = await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = clock.Elapsed;

        var failed = outcomes.Where(o => o.Kind is not null).ToList();
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"streams={streams} ok={streams - failed.Count} failed={failed.Count}");
        foreach (var kind in Kinds)
        {
            line.Append(CultureInfo.InvariantCulture, $" {kind}={failed.Count(f => f.Kind == kind)}");
        }

        var durations = outcomes.Select(o => o.Duration.TotalSeconds).Order().ToArray();
        var opens = outcomes.Select(o => o.HeadersAfter.TotalSeconds).Order().ToArray();
        line.Append(CultureInfo.InvariantCulture,
            $" duration_p50_s={Percentile(durations, 0.5):F2} duration_max_s={durations[^1]:F2} headers_max_s={opens[^1]:F2} elapsed_s={elapsed.TotalSeconds:F1}");
        // The earliest failure by start order is the most telling one: later ones are often its consequences.
        var first = failed.Count > 0 ? $"{failed[0].Kind}: {failed[0].Reason}" : "-";
        line.Append(CultureInfo.InvariantCulture, $" first_failure=\"{first.Replace('"', '\'').ReplaceLineEndings(" ")}\"");
        await output.WriteLineAsync(line.ToString()).ConfigureAwait(false);
        return failed.Count == 0 ? 0 : 1;
    }

    private static string StreamingBody(string? path)
    {
        if (path is null)
        {
            return DefaultBody;
        }

        var text = File.ReadAllText(path).Trim();
        const string NonStreaming = "\"stream\":false";
        return text.Contains(NonStreaming, StringComparison.Ordinal)
            ? text.Replace(NonStreaming, "\"stream\":true", StringComparison.Ordinal)
            : throw new ArgumentException($"{path} has no \"stream\":false to turn into \"stream\":true");
    }

    private static async Task<Outcome> RunOneAsync(
        HttpClient client, Uri url, byte[] body, string token, Expected expected, Stopwatch clock, TimeSpan startAt, TimeSpan timeout, TimeSpan minSpread)
    {
        var wait = startAt - clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait).ConfigureAwait(false);
        }

        var started = clock.Elapsed;
        var headersAfter = TimeSpan.Zero;
        using var deadline = new CancellationTokenSource(timeout);
        Outcome Finish(string? kind, string? reason) => new(kind, reason, clock.Elapsed - started, headersAfter);

        var phase = "waiting for the response headers";
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            headersAfter = clock.Elapsed - started;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return Finish("status", $"HTTP {(int)response.StatusCode}");
            }

            phase = "reading the body";
            var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var position = 0; // how much of the expected text the deltas so far have matched
                var count = 0;
                var done = false;
                TimeSpan firstDelta = default, lastDelta = default;
                while (await reader.ReadLineAsync(deadline.Token).ConfigureAwait(false) is { } line)
                {
                    // SSE: blank lines end events, ':' lines are comments (keep-alives); only data lines carry payload.
                    if (!line.StartsWith("data:", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var data = line.AsSpan(5).TrimStart(' ');
                    if (done)
                    {
                        return Finish("malformed", "data after [DONE]");
                    }

                    if (data.SequenceEqual("[DONE]"))
                    {
                        done = true;
                        phase = "waiting for the body to end after [DONE]";
                        continue;
                    }

                    var (piece, problem, kind) = ReadDelta(data);
                    if (problem is not null)
                    {
                        return Finish(kind, $"frame {count + 1}: {problem}");
                    }

                    if (string.IsNullOrEmpty(piece))
                    {
                        continue; // the role chunk and the finish chunk carry no content
                    }

                    count++;
                    var now = clock.Elapsed;
                    if (count == 1)
                    {
                        firstDelta = now;
                    }

                    lastDelta = now;
                    if (!expected.Text.AsSpan(position).StartsWith(piece, StringComparison.Ordinal))
                    {
                        return Finish("content", $"delta {count} '{Clip(piece)}' does not continue the expected text at offset {position}");
                    }

                    position += piece.Length;
                }

                if (!done)
                {
                    return Finish("no-done", $"body ended after {count} content deltas without data: [DONE]");
                }

                if (position != expected.Text.Length)
                {
                    return Finish("content", $"assembled {position} of {expected.Text.Length} expected characters");
                }

                if (count != expected.Chunks)
                {
                    return Finish("chunks", $"{count} content deltas, expected {expected.Chunks}");
                }

                if (lastDelta - firstDelta < minSpread)
                {
                    return Finish("not-streamed", string.Create(CultureInfo.InvariantCulture,
                        $"deltas arrived within {(lastDelta - firstDelta).TotalSeconds:F2}s, expected at least {minSpread.TotalSeconds:F2}s"));
                }

                return Finish(null, null);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            var kind = phase.StartsWith("waiting for the body", StringComparison.Ordinal) ? "unterminated" : "timeout";
            return Finish(kind, string.Create(CultureInfo.InvariantCulture, $"no progress within {timeout.TotalSeconds:F0}s while {phase}"));
        }
        catch (HttpRequestException ex) when (headersAfter == TimeSpan.Zero)
        {
            return Finish("connect", ex.Message);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return Finish("broken", $"{ex.GetType().Name} while {phase}: {ex.Message}");
        }
    }

    // One data payload -> its choices[0].delta.content (null when absent), or what is wrong with it.
    private static (string? Piece, string? Problem, string Kind) ReadDelta(ReadOnlySpan<char> data)
    {
        try
        {
            using var json = JsonDocument.Parse(data.ToString());
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "payload is not a JSON object", "malformed");
            }

            if (root.TryGetProperty("error", out var error))
            {
                return (null, $"error frame {Clip(error.GetRawText())}", "error-frame");
            }

            if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            {
                return (null, "no choices array", "malformed");
            }

            if (choices.GetArrayLength() == 0)
            {
                return (null, null, ""); // a usage chunk
            }

            return choices[0].TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)
                && content.ValueKind == JsonValueKind.String
                ? (content.GetString(), null, "")
                : (null, null, "");
        }
        catch (JsonException ex)
        {
            return (null, $"invalid JSON ({ex.Message})", "malformed");
        }
    }

    private static string Clip(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");

    private static double Percentile(double[] sorted, double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];

    /// <summary>What one intact stream carries.</summary>
    private sealed class Expected(string text, int chunks)
    {
        public string Text { get; } = text;

        /// <summary>The simulator cuts the text into this many pieces (fewer only when the text is shorter than that).</summary>
        public int Chunks { get; } = Math.Clamp(chunks, 1, Math.Max(1, text.Length));
    }

    /// <summary>One stream: its failure kind and reason (both null when intact), duration and time to headers.</summary>
    private sealed record Outcome(string? Kind, string? Reason, TimeSpan Duration, TimeSpan HeadersAfter);
}
