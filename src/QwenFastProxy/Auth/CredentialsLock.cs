namespace QwenFastProxy.Auth;

/// <summary>
/// Holding the credentials lock file (<c>QWEN_CREDS_PATH</c> + <c>.lock</c>). While held, its modification time is
/// touched every few seconds so that a long refresh is not mistaken for a dead holder; disposing removes it.
/// </summary>
internal sealed class CredentialsLock : IAsyncDisposable, IDisposable
{
    private readonly string _path;
    private readonly string _owner;
    private readonly ITimer _heartbeat;
    private int _released;

    internal CredentialsLock(string path, string owner, TimeSpan heartbeat)
    {
        _path = path;
        _owner = owner;
        _heartbeat = TimeProvider.System.CreateTimer(static state => ((CredentialsLock)state!).Touch(), this, heartbeat, heartbeat);
    }

    /// <summary>Releases the lock: removes the lock file if it is still ours.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _heartbeat.Dispose();
        try
        {
            // Only our own lock: if it was broken as stale and someone else holds it now, leave theirs alone.
            if (File.ReadAllText(_path) == _owner)
            {
                File.Delete(_path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone already, or unreadable: it will go stale and be broken by the next taker.
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Touch()
    {
        try
        {
            if (Volatile.Read(ref _released) == 0)
            {
                File.SetLastWriteTimeUtc(_path, DateTime.UtcNow);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
