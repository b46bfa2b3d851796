using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;

namespace QwenFastProxy.Tests.Observability;

public sealed class UsageLedgerTests : IDisposable
{
    private static readonly DateOnly Day1 = new(2026, 12, 4);
    private static readonly DateOnly Day2 = new(2026, 12, 5);

    private readonly string _folder = Directory.CreateTempSubdirectory("usage-ledger-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 23, 59, 0, TimeSpan.Zero));

    private string FilePath => Path.Combine(_folder, "state", UsageFile.FileName);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void SumsPerDayKeyAndModelAndGroupsOnRequest()
    {
        using var ledger = new UsageLedger(null, _time, NullLogger.Instance);
        ledger.Record("key-a", "qwen3-coder-plus", 200, false, new TokenUsage(100, 10, 50, 0));
        _time.Advance(TimeSpan.FromMinutes(2)); // past midnight UTC
        ledger.Record("key-a", "qwen3-coder-plus", 200, false, new TokenUsage(200, 20, 0, 5));
        ledger.Record("key-a", "qwen3-max", 429, true, null);
        ledger.Record("key-b", "qwen3-coder-plus", 200, false, new TokenUsage(1, 2, 0, 0));

        var all = ledger.Query(byKey: true, byModel: true, from: null, to: null);
        Assert.Equal(
            [
                (Day1, "key-a", "qwen3-coder-plus", 1L, 0L, 100L, 10L, 50L, 0L),
                (Day2, "key-a", "qwen3-coder-plus", 1L, 0L, 200L, 20L, 0L, 5L),
                (Day2, "key-a", "qwen3-max", 1L, 1L, 0L, 0L, 0L, 0L),
                (Day2, "key-b", "qwen3-coder-plus", 1L, 0L, 1L, 2L, 0L, 0L),
            ],
            all.Select(Flat));

        var byModelOnDay2 = ledger.Query(byKey: false, byModel: true, from: Day2, to: Day2);
        Assert.Equal(
            [
                (Day2, (string?)null, "qwen3-coder-plus", 2L, 0L, 201L, 22L, 0L, 5L),
                (Day2, null, "qwen3-max", 1L, 1L, 0L, 0L, 0L, 0L),
            ],
            byModelOnDay2.Select(Flat));

        var byKeyOnDay1 = ledger.Query(byKey: true, byModel: false, from: null, to: Day1);
        Assert.Equal([(Day1, "key-a", (string?)null, 1L, 0L, 100L, 10L, 50L, 0L)], byKeyOnDay1.Select(Flat));
    }

    [Fact]
    public void ModelNamesAreMadeSafeForCsvAndLabelsAndTheirNumberIsBounded()
    {
        using var ledger = new UsageLedger(null, _time, NullLogger.Instance);
        ledger.Record("k", "evil,\"model\"\n", 400, true, null);
        ledger.Record("k", null, 400, true, null);
        for (var i = 0; i < UsageLedger.MaxModels + 5; i++)
        {
            ledger.Record("k", "m" + i, 400, true, null);
        }

        var models = ledger.Query(byKey: false, byModel: true, null, null).Select(r => r.Model).ToList();
        Assert.Contains("evil__model__", models);
        Assert.Contains("-", models);
        Assert.Equal(UsageLedger.MaxModels + 2, models.Count); // the bound, plus "-" and "(other)"
        Assert.Equal(6, ledger.Query(byKey: false, byModel: true, null, null).Single(r => r.Model == UsageLedger.OtherModel).Totals.Requests);
    }

    [Fact]
    public async Task RowsAreAppendedToTheFileAndReadBackByTheNextLedger()
    {
        using (var first = new UsageLedger(FilePath, _time, NullLogger.Instance))
        {
            first.Record("key-a", "qwen3-coder-plus", 200, false, new TokenUsage(100, 10, 50, 1));
            first.Record("key-b", "qwen3-max", 500, true, null);
            await first.FlushAsync();
            Assert.Equal(3, File.ReadAllLines(FilePath).Length); // header and two rows, on disk before the ledger closes
        }

        using var second = new UsageLedger(FilePath, _time, NullLogger.Instance);
        await second.Loaded;
        Assert.Equal(
            [
                (Day1, "key-a", "qwen3-coder-plus", 1L, 0L, 100L, 10L, 50L, 1L),
                (Day1, "key-b", "qwen3-max", 1L, 1L, 0L, 0L, 0L, 0L),
            ],
            second.Query(true, true, null, null).Select(Flat));
        Assert.Empty(second.SinceStart()); // Prometheus counters start with the process

        second.Record("key-a", "qwen3-coder-plus", 200, false, new TokenUsage(1, 1, 0, 0));
        await second.FlushAsync();
        Assert.Equal(4, File.ReadAllLines(FilePath).Length);
        Assert.Equal(2, second.Query(true, true, null, null)[0].Totals.Requests);
    }

    [Fact]
    public async Task ATornLastLineIsSkippedAndTheNextRowStartsOnItsOwnLine()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        await File.WriteAllTextAsync(FilePath,
            "time,key,model,status,error,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens\n" +
            "2026-12-04T10:00:00.000Z,key-a,qwen3-coder-plus,200,0,5,5,0,0\n" +
            "2026-12-04T10:00:01.000Z,key-a,qwen3-co");

        using (var ledger = new UsageLedger(FilePath, _time, NullLogger.Instance))
        {
            await ledger.Loaded;
            Assert.Equal(1, ledger.Query(true, true, null, null).Single().Totals.Requests);
            ledger.Record("key-a", "qwen3-coder-plus", 200, false, new TokenUsage(1, 1, 0, 0));
            await ledger.FlushAsync();
        }

        using var reread = new UsageLedger(FilePath, _time, NullLogger.Instance);
        await reread.Loaded;
        var row = reread.Query(true, true, null, null).Single();
        Assert.Equal(2, row.Totals.Requests);
        Assert.Equal(6, row.Totals.PromptTokens);
    }

    [Fact]
    public void ClosingWritesEveryQueuedRow()
    {
        using (var ledger = new UsageLedger(FilePath, _time, NullLogger.Instance))
        {
            for (var i = 0; i < 500; i++)
            {
                ledger.Record("key-a", "qwen3-coder-plus", 200, false, new TokenUsage(i, 1, 0, 0));
            }
        }

        Assert.Equal(501, File.ReadAllLines(FilePath).Length);
    }

    [Fact]
    public void TheFileIsPrivateToItsOwner()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        using (var ledger = new UsageLedger(FilePath, _time, NullLogger.Instance))
        {
            ledger.Record("key-a", "m", 200, false, null);
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(FilePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(FilePath)!));
    }

    private static (DateOnly, string?, string?, long, long, long, long, long, long) Flat(UsageRow row) =>
        (row.Day, row.Key, row.Model, row.Totals.Requests, row.Totals.Errors, row.Totals.PromptTokens,
            row.Totals.CompletionTokens, row.Totals.CachedTokens, row.Totals.ReasoningTokens);
}
