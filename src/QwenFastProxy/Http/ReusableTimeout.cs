namespace QwenFastProxy.Http;

/// <summary>
/// A cancellation source with a deadline, kept by a connection and reused by its next exchange: a new linked
/// source and timer for every request showed up as a tenth of the bytes a request allocated. A source
/// whose deadline fired cannot be reset, so it is replaced then. Reuse relies on
/// <see cref="CancellationTokenSource.TryReset"/>, which drops the callbacks registered on the source — including
/// the links of sources created from its token — so only a parent that is never reset (the connection's own
/// token) may be linked here; anything else is followed with <see cref="Follow"/> for one exchange.
/// </summary>
internal sealed class ReusableTimeout : IDisposable
{
    private CancellationTokenSource? _source;
    private CancellationToken _parent;

    /// <summary>A source that cancels itself after <paramref name="timeout"/>, and when <paramref name="parent"/> does.</summary>
    public CancellationTokenSource Start(TimeSpan timeout, CancellationToken parent = default)
    {
        if (_source is null || _parent != parent || !_source.TryReset())
        {
            _source?.Dispose();
            _source = parent.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(parent) : new CancellationTokenSource();
            _parent = parent;
        }
        _source.CancelAfter(timeout);
        return _source;
    }

    /// <summary>Cancels <paramref name="source"/> when <paramref name="other"/> is cancelled, until the registration is disposed.</summary>
    public static CancellationTokenRegistration Follow(CancellationTokenSource source, CancellationToken other) =>
        other.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source);

    public void Dispose()
    {
        _source?.Dispose();
        _source = null;
    }
}
