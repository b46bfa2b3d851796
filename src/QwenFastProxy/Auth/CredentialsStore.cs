using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace QwenFastProxy.Auth;

/// <summary>
/// The credentials file at <c>QWEN_CREDS_PATH</c> and its lock file. Writes are atomic (a temporary file in the same
/// folder, flushed to disk, then renamed over the old one), the file is 0600 and a folder it creates 0700. The lock
/// (<c>…json.lock</c>, created exclusively) is what every process takes before refreshing or writing, so two proxies
/// never refresh at once or tear the file; a lock not touched for <see cref="StaleLockAge"/> belongs to a dead process
/// and is broken, and every wait is bounded.
/// </summary>
public sealed class CredentialsStore
{
    /// <summary>A lock file older than this was left by a process that died holding it (Qwen Code uses the same 10 s).</summary>
    public static readonly TimeSpan StaleLockAge = TimeSpan.FromSeconds(10);

    /// <summary>How long <see cref="AcquireLockAsync"/> waits by default: past <see cref="StaleLockAge"/>, so a dead holder's lock is broken within one wait.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(15);

    private const UnixFileMode FileMode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode FolderMode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(500);

    // A holder touches its lock this often, well inside StaleLockAge.
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(3);

    private readonly TimeSpan _lockTimeout;

    /// <summary>Creates the store for <paramref name="path"/> (a full path).</summary>
    /// <param name="path">The credentials file.</param>
    /// <param name="lockTimeout">Longest wait for the lock; <see cref="DefaultLockTimeout"/> when null.</param>
    public CredentialsStore(string path, TimeSpan? lockTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        LockPath = path + ".lock";
        _lockTimeout = lockTimeout ?? DefaultLockTimeout;
    }

    /// <summary>The credentials file.</summary>
    public string Path { get; }

    /// <summary>The lock file beside it.</summary>
    public string LockPath { get; }

    /// <summary>Reads the file (see <see cref="CredentialsFile.TryRead"/>): never throws, a corrupt file gives a message with the way forward.</summary>
    public CredentialsFile.ReadStatus TryRead(out QwenCredentials? credentials, out string? message)
    {
        return CredentialsFile.TryRead(Path, out credentials, out message);
    }

    /// <summary>
    /// Replaces the file atomically with <paramref name="credentials"/> (mode 0600; the folder is created 0700 when
    /// missing). Readers see the old file or the new one, never a part. Throws <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> when the folder is not writable.
    /// </summary>
    public void Write(QwenCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        byte[] json = CredentialsWriter.ToJson(credentials);
        EnsureFolder();

        string temporary = string.Create(CultureInfo.InvariantCulture, $"{Path}.{Environment.ProcessId}.{RandomSuffix()}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = FileMode0600;
            }

            using (var stream = new FileStream(temporary, options))
            {
                if (!OperatingSystem.IsWindows())
                {
                    // The create mode passes through the umask; say it once more without it.
                    File.SetUnixFileMode(stream.SafeFileHandle, FileMode0600);
                }

                stream.Write(json);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Removes the file; false when there was none.</summary>
    public bool Delete()
    {
        if (!File.Exists(Path))
        {
            return false;
        }

        File.Delete(Path);
        return true;
    }

    /// <summary>
    /// Takes the lock: creates the lock file exclusively, breaking it first when it is older than
    /// <see cref="StaleLockAge"/>, retrying with growing pauses. Throws <see cref="TimeoutException"/> after the
    /// store's lock timeout, with a message naming the lock file.
    /// </summary>
    internal async Task<CredentialsLock> AcquireLockAsync(CancellationToken cancellationToken = default)
    {
        EnsureFolder();
        string owner = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {RandomSuffix()}");
        long started = Stopwatch.GetTimestamp();
        TimeSpan delay = FirstRetryDelay;

        // Bounded: every turn either returns, throws, or waits; the waits end at the timeout.
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryCreateLock(owner, out IOException? failure))
            {
                return new CredentialsLock(LockPath, owner, Heartbeat);
            }

            if (TryBreakStaleLock())
            {
                continue;
            }

            TimeSpan left = _lockTimeout - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero && failure is not null && !File.Exists(LockPath))
            {
                throw new IOException($"cannot create the credentials lock {LockPath}: {failure.Message}", failure);
            }

            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"the credentials lock {LockPath} is held by another process (waited {_lockTimeout.TotalSeconds:0.#} s); if no other qwenfastproxy is running, delete that file"));
            }

            await Task.Delay(delay < left ? delay : left, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    /// <summary>One exclusive create. False when the file exists (or vanished and appeared in between: contention either way).</summary>
    private bool TryCreateLock(string owner, out IOException? failure)
    {
        failure = null;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = FileMode0600;
            }

            using var stream = new FileStream(LockPath, options);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(owner));
            return true;
        }
        catch (IOException ex) when (ex is not DirectoryNotFoundException and not PathTooLongException)
        {
            // Usually "already exists"; the holder may have released it since. Kept to report a persistent failure.
            failure = ex;
            return false;
        }
    }

    /// <summary>
    /// Breaks a stale lock. It is first renamed aside (atomic, so two breakers cannot both remove it) and its age
    /// checked again: a fresh lock renamed by mistake is put back.
    /// </summary>
    private bool TryBreakStaleLock()
    {
        try
        {
            DateTime written = File.GetLastWriteTimeUtc(LockPath);
            if (!File.Exists(LockPath))
            {
                return true; // released meanwhile: try again at once
            }

            if (DateTime.UtcNow - written < StaleLockAge)
            {
                return false;
            }

            string aside = string.Create(CultureInfo.InvariantCulture, $"{LockPath}.{RandomSuffix()}.stale");
            File.Move(LockPath, aside);
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(aside) < StaleLockAge)
            {
                // Someone broke the stale one and took the lock between our two looks: give theirs back.
                try
                {
                    File.Move(aside, LockPath, overwrite: false);
                }
                catch (IOException)
                {
                    TryDelete(aside);
                }

                return false;
            }

            TryDelete(aside);
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return true; // someone else removed it first
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void EnsureFolder()
    {
        string? folder = System.IO.Path.GetDirectoryName(Path);
        if (string.IsNullOrEmpty(folder) || Directory.Exists(folder))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }

        Directory.CreateDirectory(folder, FolderMode0700);
        File.SetUnixFileMode(folder, FolderMode0700);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string RandomSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}
