using QwenFastProxy.Auth;

namespace QwenFastProxy.Tests.Auth;

public sealed class CredentialsStoreTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly string _root = Directory.CreateTempSubdirectory("qfp-store-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static QwenCredentials Credentials(int n) =>
        new($"at-{n}", "Bearer", $"rt-{n}", "portal.qwen.ai", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(n));

    [Fact]
    public void WriteThenReadGivesTheSameCredentialsInQwenCodesShape()
    {
        var store = new CredentialsStore(Path.Combine(_root, "creds.json"));

        store.Write(Credentials(1));

        Assert.Equal(CredentialsFile.ReadStatus.Ok, store.TryRead(out var read, out _));
        Assert.Equal(Credentials(1), read);
        var json = File.ReadAllText(store.Path);
        foreach (var field in new[] { "\"access_token\"", "\"token_type\"", "\"refresh_token\"", "\"resource_url\"", "\"expiry_date\": 1767225660000" })
        {
            Assert.Contains(field, json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FileIs0600AndANewFolderIs0700()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var store = new CredentialsStore(Path.Combine(_root, "new", "deeper", "creds.json"));
        store.Write(Credentials(1));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(store.Path)!));
    }

    [Fact]
    public void RewritingAWideOpenFileLeavesIt0600AndNoTemporaryFiles()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Path.Combine(_root, "creds.json");
        File.WriteAllText(path, "{}");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        var store = new CredentialsStore(path);

        store.Write(Credentials(2));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(["creds.json"], Directory.GetFiles(_root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ConcurrentWritersNeverLeaveATornFile()
    {
        var store = new CredentialsStore(Path.Combine(_root, "creds.json"));
        store.Write(Credentials(0));
        using var stop = new CancellationTokenSource();

        // Readers look while writers replace the file with longer and shorter contents.
        var readers = Enumerable.Range(0, 2).Select(reader => Task.Run(() =>
        {
            var reads = 0;
            while (!stop.IsCancellationRequested && reads < 100_000)
            {
                var status = store.TryRead(out _, out var message);
                Assert.True(status == CredentialsFile.ReadStatus.Ok, message);
                reads++;
            }
        })).ToArray();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
            {
                store.Write(Credentials(w * 1000 + i) with { AccessToken = new string('x', 10 + (i % 7) * 300) });
            }
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(Bound);
        await stop.CancelAsync();
        await Task.WhenAll(readers).WaitAsync(Bound);
        Assert.Equal(["creds.json"], Directory.GetFiles(_root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task TheLockExcludesASecondHolderUntilReleased()
    {
        var path = Path.Combine(_root, "creds.json");
        var first = new CredentialsStore(path);
        var second = new CredentialsStore(path, lockTimeout: TimeSpan.FromMilliseconds(200));

        var held = await first.AcquireLockAsync().WaitAsync(Bound);
        var refused = await Assert.ThrowsAsync<TimeoutException>(() => second.AcquireLockAsync().WaitAsync(Bound));
        Assert.Contains(first.LockPath, refused.Message, StringComparison.Ordinal);

        await held.DisposeAsync();
        Assert.False(File.Exists(first.LockPath));
        await using (await second.AcquireLockAsync().WaitAsync(Bound))
        {
            Assert.True(File.Exists(first.LockPath));
        }
    }

    [Fact]
    public async Task ManyTakersGetTheLockOneAtATime()
    {
        var path = Path.Combine(_root, "creds.json");
        var inside = 0;
        var maxInside = 0;
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var store = new CredentialsStore(path);
            for (var i = 0; i < 5; i++)
            {
                await using (await store.AcquireLockAsync())
                {
                    var now = Interlocked.Increment(ref inside);
                    InterlockedMax(ref maxInside, now);
                    store.Write(Credentials(i));
                    Interlocked.Decrement(ref inside);
                }
            }
        })).ToArray();

        await Task.WhenAll(tasks).WaitAsync(Bound);

        Assert.Equal(1, maxInside);
    }

    [Fact]
    public async Task AStaleLockIsBroken()
    {
        var store = new CredentialsStore(Path.Combine(_root, "creds.json"), lockTimeout: TimeSpan.FromMilliseconds(200));
        File.WriteAllText(store.LockPath, "12345 dead-process");
        File.SetLastWriteTimeUtc(store.LockPath, DateTime.UtcNow - TimeSpan.FromSeconds(11));

        await using (await store.AcquireLockAsync().WaitAsync(Bound))
        {
            Assert.NotEqual("12345 dead-process", File.ReadAllText(store.LockPath));
        }

        Assert.False(File.Exists(store.LockPath));
        Assert.Empty(Directory.GetFiles(_root, "*.stale"));
    }

    [Fact]
    public async Task AFreshLockOfAnotherProcessIsWaitedForNotBroken()
    {
        var store = new CredentialsStore(Path.Combine(_root, "creds.json"), lockTimeout: TimeSpan.FromMilliseconds(200));
        File.WriteAllText(store.LockPath, "12345 live-process");

        await Assert.ThrowsAsync<TimeoutException>(() => store.AcquireLockAsync().WaitAsync(Bound));

        Assert.Equal("12345 live-process", File.ReadAllText(store.LockPath));
    }

    [Fact]
    public async Task ReleasingDoesNotRemoveSomeoneElsesLock()
    {
        var store = new CredentialsStore(Path.Combine(_root, "creds.json"));
        var held = await store.AcquireLockAsync().WaitAsync(Bound);
        File.WriteAllText(store.LockPath, "another holder"); // ours was broken and taken over meanwhile

        await held.DisposeAsync();

        Assert.Equal("another holder", File.ReadAllText(store.LockPath));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"access_token\":")]
    [InlineData("not json")]
    public void ACorruptFileIsReportedWithTheWayForward(string content)
    {
        var store = new CredentialsStore(Path.Combine(_root, "creds.json"));
        File.WriteAllText(store.Path, content);

        Assert.Equal(CredentialsFile.ReadStatus.Corrupt, store.TryRead(out var credentials, out var message));
        Assert.Null(credentials);
        Assert.Contains("qwenfastproxy login", message, StringComparison.Ordinal);
        Assert.True(File.Exists(store.Path)); // never deleted for being unreadable
    }

    [Fact]
    public void DeleteRemovesTheFileOnce()
    {
        var store = new CredentialsStore(Path.Combine(_root, "creds.json"));
        store.Write(Credentials(1));

        Assert.True(store.Delete());
        Assert.False(store.Delete());
        Assert.Equal(CredentialsFile.ReadStatus.Missing, store.TryRead(out _, out _));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
