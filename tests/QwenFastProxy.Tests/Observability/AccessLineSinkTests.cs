using System.Text;
using QwenFastProxy.Observability;

namespace QwenFastProxy.Tests.Observability;

/// <summary>Access lines are written whole, in batches, never lost silently, and never make a request thread wait.</summary>
public sealed class AccessLineSinkTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task LinesFromManyThreadsArriveWholeAndAllOfThem()
    {
        var output = new MemoryStream();
        var sink = new AccessLineSink(Stream.Synchronized(output), json: false);
        const int threads = 4, perThread = 500;

        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < perThread; i++)
            {
                sink.Append(Entry($"/v1/t{t}/n{i}"));
            }
        }))).WaitAsync(Bound);
        sink.Dispose();

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(threads * perThread, lines.Length);
        Assert.All(lines, l => Assert.Matches(@" INF 127\.0\.0\.1 POST /v1/t\d/n\d+ 200 .* ua=test$", l));
        Assert.Equal(threads * perThread, lines.Select(l => l.Split(' ')[5]).Distinct().Count());
    }

    [Fact]
    public async Task AStalledOutputDropsLinesPastTheBoundAndTheNextBatchCountsThem()
    {
        var output = new GatedStream();
        var sink = new AccessLineSink(output, json: false);
        sink.Append(Entry("/v1/first"));
        await output.Entered.WaitAsync(Bound); // the writer is now stuck in Write with the first batch

        var appended = 0;
        var lineBytes = Encoding.UTF8.GetByteCount(Line("/v1/fill-000000"));
        while (appended * lineBytes < AccessLineSink.MaxPendingBytes * 1.5)
        {
            sink.Append(Entry($"/v1/fill-{appended:D6}")); // returns at once although nothing can be written
            appended++;
        }
        output.Open();
        sink.Dispose();

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var filled = lines.Count(l => l.Contains("/v1/fill-"));
        var warning = Assert.Single(lines, l => l.Contains("access lines dropped"));
        var dropped = int.Parse(warning.Split(' ')[3]);
        Assert.True(dropped > 0);
        Assert.Equal(appended, filled + dropped);
        Assert.Equal(1, lines.Count(l => l.Contains("/v1/first")));
    }

    private static AccessEntry Entry(string path) =>
        new("127.0.0.1", "POST", path, 200, 200, "qwen3-coder-plus", false, 100, 200, 1.5, 2.25, 0, 0, "-", "test");

    private static string Line(string path)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        AccessLineFormat.Write(buffer, json: false, Entry(path), DateTimeOffset.UtcNow);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A stream whose writes wait until <see cref="Open"/>: an output that has fallen behind.</summary>
    private sealed class GatedStream : MemoryStream
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _open = new();

        public Task Entered => _entered.Task;

        public void Open() => _open.Set();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _entered.TrySetResult();
            _open.Wait(Bound);
            base.Write(buffer);
        }
    }
}
