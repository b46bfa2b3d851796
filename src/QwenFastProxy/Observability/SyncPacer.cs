namespace QwenFastProxy.Observability;

/// <summary>
/// When the usage file is fsynced: at once when the last fsync is at least <c>interval</c> old, otherwise once the
/// interval has passed since it. A quiet proxy syncs every row as it comes; a busy one pays one fsync per interval
/// however many batches it writes (an fsync per batch cost a busy proxy a tenth of its CPU).
/// </summary>
internal sealed class SyncPacer(TimeSpan interval, TimeProvider time)
{
    private long _lastSync;
    private bool _everSynced;

    /// <summary>Rows were written that no fsync has covered yet.</summary>
    public bool Dirty { get; private set; }

    /// <summary>An fsync is due now: rows wait for one, and the last is at least the interval old.</summary>
    public bool Due => Dirty && UntilDue <= TimeSpan.Zero;

    /// <summary>How long until the written rows are due an fsync (zero or less: now).</summary>
    public TimeSpan UntilDue => _everSynced ? interval - time.GetElapsedTime(_lastSync) : TimeSpan.Zero;

    /// <summary>Rows reached the file (the kernel has them: they outlive a crash of the process, not of the machine).</summary>
    public void Written() => Dirty = true;

    /// <summary>An fsync covered everything written.</summary>
    public void Synced()
    {
        Dirty = false;
        _everSynced = true;
        _lastSync = time.GetTimestamp();
    }
}
