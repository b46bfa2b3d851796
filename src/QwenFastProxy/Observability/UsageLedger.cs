using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using QwenFastProxy.Http;

namespace QwenFastProxy.Observability;

/// <summary>
/// Usage per client key and model: requests, errors and tokens. A finished request is summed in memory at once
/// (what <c>/usage</c> and <c>/metrics</c> read) and queued for the usage file, which one background writer
/// appends to, so the request path never touches the disk. The writer wakes once per batch, not per row: woken by
/// a row, it lets rows gather for <see cref="GatherTime"/> and appends them in one write; it fsyncs at most once a
/// second (<see cref="SyncPacer"/>): a row is in the file about 10 ms after its request and on the disk within a
/// second, and a clean shutdown writes and syncs every queued row first. The file is read back at start in the
/// background; the writer appends only once that is done, so no row is counted twice.
/// </summary>
internal sealed class UsageLedger : IDisposable
{
    /// <summary>Distinct model names kept apart; names past this many are summed as <see cref="OtherModel"/>.</summary>
    public const int MaxModels = 1000;

    /// <summary>Where the models past <see cref="MaxModels"/> go: a client inventing names cannot grow the ledger without end.</summary>
    public const string OtherModel = "(other)";

    private const int MaxModelLength = 200;

    // Past this many unwritten bytes (an unwritable disk for a long time) the oldest are given up.
    private const int MaxPendingBytes = 64 * 1024 * 1024;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SyncInterval = TimeSpan.FromSeconds(1);

    // A wake-up per row cost a proxy serving one connection a third of its CPU (thread-pool wake, futex, write);
    // this short a gather keeps the rows a kill could lose to a few milliseconds' worth. Real time, not the
    // ledger's clock: it paces wake-ups and stamps nothing.
    private static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<(DateOnly Day, string Key, string Model), UsageTotals> _byDay = [];
    private readonly Dictionary<(string Key, string Model), UsageTotals> _sinceStart = [];
    private readonly HashSet<string> _models = new(StringComparer.Ordinal);
    private readonly Channel<Queued> _queue = Channel.CreateUnbounded<Queued>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string? _path;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Task _loaded;
    private readonly Task _writer;
    private volatile bool _closing;

    /// <param name="path">The usage file; null keeps usage in memory only.</param>
    /// <param name="time">The clock rows are stamped with.</param>
    /// <param name="logger">Where trouble with the file is reported.</param>
    public UsageLedger(string? path, TimeProvider time, ILogger logger)
    {
        _path = path;
        _time = time;
        _logger = logger;
        _loaded = path is null ? Task.CompletedTask : Task.Run(() => Load(path));
        _writer = path is null ? Task.CompletedTask : Task.Run(() => WriteLoopAsync(path));
    }

    /// <summary>The usage file, or null when usage is kept in memory only.</summary>
    public string? FilePath => _path;

    /// <summary>Completes once the usage file has been read back (at once without a file).</summary>
    public Task Loaded => _loaded;

    /// <summary>Sums a finished request and queues its row for the file. Called on the request path: no I/O.</summary>
    public void Record(string key, string? model, int status, bool error, TokenUsage? usage)
    {
        var now = _time.GetUtcNow();
        UsageEntry entry;
        lock (_gate)
        {
            entry = new UsageEntry(now, key, KnownModel(model), status, error, usage);
            Sum(_byDay, (DateOnly.FromDateTime(now.UtcDateTime), entry.Key, entry.Model), entry);
            Sum(_sinceStart, (entry.Key, entry.Model), entry);
        }
        if (_path is not null)
        {
            _queue.Writer.TryWrite(new Queued(entry, Barrier: null));
        }
    }

    /// <summary>Completes when every row recorded before the call has been written and fsynced (or given up).</summary>
    public Task FlushAsync()
    {
        if (_path is null)
        {
            return Task.CompletedTask;
        }
        var barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite(new Queued(default, barrier)) ? barrier.Task : Task.CompletedTask;
    }

    /// <summary>Totals per day (UTC), optionally per key and per model, for the days from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public List<UsageRow> Query(bool byKey, bool byModel, DateOnly? from, DateOnly? to)
    {
        var rows = new Dictionary<(DateOnly, string?, string?), UsageTotals>();
        lock (_gate)
        {
            foreach (var ((day, key, model), totals) in _byDay)
            {
                if (day < from || day > to)
                {
                    continue;
                }
                var group = (day, byKey ? key : null, byModel ? model : null);
                if (!rows.TryGetValue(group, out var sum))
                {
                    rows[group] = sum = new UsageTotals();
                }
                sum.Add(totals);
            }
        }
        return rows
            .Select(r => new UsageRow(r.Key.Item1, r.Key.Item2, r.Key.Item3, r.Value))
            .OrderBy(r => r.Day).ThenBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Model, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Totals per key and model since this process started (Prometheus counters restart with the process).</summary>
    public List<UsageRow> SinceStart()
    {
        lock (_gate)
        {
            return _sinceStart
                .OrderBy(r => r.Key.Key, StringComparer.Ordinal).ThenBy(r => r.Key.Model, StringComparer.Ordinal)
                .Select(r => new UsageRow(default, r.Key.Key, r.Key.Model, Copy(r.Value)))
                .ToList();
        }
    }

    /// <summary>Writes every queued row, waiting for the writer at most ten seconds.</summary>
    public void Dispose() => Close(TimeSpan.FromSeconds(10));

    internal void Close(TimeSpan timeout)
    {
        _closing = true;
        _queue.Writer.TryComplete();
        _writer.Wait(timeout);
    }

    private static UsageTotals Copy(UsageTotals totals)
    {
        var copy = new UsageTotals();
        copy.Add(totals);
        return copy;
    }

    private static void Sum<TKey>(Dictionary<TKey, UsageTotals> sums, TKey key, in UsageEntry entry)
        where TKey : notnull
    {
        if (!sums.TryGetValue(key, out var totals))
        {
            sums[key] = totals = new UsageTotals();
        }
        totals.Add(entry);
    }

    // Under the lock. A name fit for a CSV field and a metric label, from a bounded set.
    private string KnownModel(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return "-";
        }
        if (_models.TryGetValue(model, out var known))
        {
            return known;
        }
        var clean = Clean(model);
        if (_models.TryGetValue(clean, out known))
        {
            return known;
        }
        if (_models.Count >= MaxModels)
        {
            return OtherModel;
        }
        _models.Add(clean);
        return clean;
    }

    private static string Clean(string value)
    {
        if (value.Length <= MaxModelLength && !value.AsSpan().ContainsAny(",\"\r\n") && !value.Any(char.IsControl))
        {
            return value;
        }
        var builder = new StringBuilder(Math.Min(value.Length, MaxModelLength));
        foreach (var c in value.AsSpan(0, Math.Min(value.Length, MaxModelLength)))
        {
            builder.Append(c is ',' or '"' || char.IsControl(c) ? '_' : c);
        }
        return builder.ToString();
    }

    private void Load(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }
        var skipped = 0;
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), Encoding.UTF8);
        var first = true;
        while (reader.ReadLine() is { } line)
        {
            if (UsageFile.TryParseRow(line, out var entry))
            {
                lock (_gate)
                {
                    var model = KnownModel(entry.Model);
                    Sum(_byDay, (DateOnly.FromDateTime(entry.Time.UtcDateTime), entry.Key, model), entry);
                }
            }
            else if (!(first && line.StartsWith("time,", StringComparison.Ordinal)) && line.Length > 0)
            {
                skipped++;
            }
            first = false;
        }
        if (skipped > 0)
        {
            _logger.UsageLinesSkipped(path, skipped);
        }
    }

    private async Task WriteLoopAsync(string path)
    {
        try
        {
            await _loaded.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.UsageFileFailed(path, "read", ex.Message, 0);
        }

        var pending = new ArrayBufferWriter<byte>(4096);
        var pendingRows = 0;
        var barriers = new List<TaskCompletionSource>();
        var pacer = new SyncPacer(SyncInterval, _time);
        CancellationTokenSource? syncTimer = null; // armed while written rows wait for their fsync
        FileStream? file = null;
        var reader = _queue.Reader;
        try
        {
            while (true)
            {
                try
                {
                    if (!await reader.WaitToReadAsync(syncTimer?.Token ?? default).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException)
                {
                    // Quiet since the last write: its rows are due their fsync.
                    Sync(path, file, pacer, ref syncTimer);
                    continue;
                }
                if (!_closing)
                {
                    await Task.Delay(GatherTime).ConfigureAwait(false);
                }
                while (reader.TryRead(out var queued))
                {
                    if (queued.Barrier is { } barrier)
                    {
                        barriers.Add(barrier);
                        continue;
                    }
                    UsageFile.WriteRow(pending, queued.Entry);
                    pendingRows++;
                }
                if (pending.WrittenCount > 0 && !TryAppend(path, ref file, pending, pendingRows))
                {
                    if (pending.WrittenCount > MaxPendingBytes)
                    {
                        _logger.UsageRowsDropped(path, pendingRows);
                        pending.Clear();
                        pendingRows = 0;
                    }
                    else
                    {
                        await Task.Delay(RetryDelay, _time).ConfigureAwait(false);
                    }
                }
                else if (pending.WrittenCount > 0)
                {
                    pending.Clear();
                    pendingRows = 0;
                    pacer.Written();
                }
                if (pacer.Dirty)
                {
                    var wait = pacer.UntilDue;
                    if (barriers.Count > 0 || wait <= TimeSpan.Zero)
                    {
                        Sync(path, file, pacer, ref syncTimer);
                    }
                    else
                    {
                        syncTimer ??= new CancellationTokenSource(wait, _time);
                    }
                }
                foreach (var barrier in barriers)
                {
                    barrier.TrySetResult();
                }
                barriers.Clear();
            }
            if (pending.WrittenCount > 0 && TryAppend(path, ref file, pending, pendingRows)) // last chance at shutdown
            {
                pacer.Written();
            }
            if (pacer.Dirty)
            {
                Sync(path, file, pacer, ref syncTimer);
            }
        }
        finally
        {
            syncTimer?.Dispose();
            file?.Dispose();
        }
    }

    private bool TryAppend(string path, ref FileStream? file, ArrayBufferWriter<byte> rows, int rowCount)
    {
        try
        {
            file ??= Open(path);
            // One write per batch: appends from two processes sharing the file never interleave inside a row.
            file.Write(rows.WrittenSpan);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.UsageFileFailed(path, "written", ex.Message, rowCount);
            file?.Dispose();
            file = null;
            return false;
        }
    }

    private void Sync(string path, FileStream? file, SyncPacer pacer, ref CancellationTokenSource? syncTimer)
    {
        syncTimer?.Dispose();
        syncTimer = null;
        try
        {
            file?.Flush(flushToDisk: true);
        }
        catch (IOException ex)
        {
            _logger.UsageFileNotSynced(path, ex.Message);
        }
        pacer.Synced();
    }

    private static FileStream Open(string path)
    {
        var folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        var file = new FileStream(path, options);
        if (file.Length == 0)
        {
            file.Write(UsageFile.Header);
        }
        else if (!EndsWithNewLine(path, file.Length))
        {
            file.Write("\n"u8); // a row torn by a crash stays alone on its line, skipped when read back
        }
        return file;
    }

    private static bool EndsWithNewLine(string path, long length)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> last = stackalloc byte[1];
        return RandomAccess.Read(handle, last, length - 1) == 1 && last[0] == (byte)'\n';
    }

    private readonly record struct Queued(UsageEntry Entry, TaskCompletionSource? Barrier);
}

/// <summary>One line of a usage report: a day (or none), a key (or all), a model (or all) and its totals.</summary>
internal sealed record UsageRow(DateOnly Day, string? Key, string? Model, UsageTotals Totals);
