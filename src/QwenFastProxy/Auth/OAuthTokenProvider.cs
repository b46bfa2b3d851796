using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QwenFastProxy.Http;
using QwenFastProxy.Configuration;

namespace QwenFastProxy.Auth;

/// <summary>
/// OAuth tokens on the request path. A valid token costs a memory read: one immutable snapshot behind a volatile
/// field, no file I/O and no lock per request. Refreshes happen ahead of expiry, one at a time however many
/// requests arrive (single flight: the others await the same task), under the credentials file's lock and after
/// re-reading the file, so a refresh another process already did is used rather than repeated.
/// </summary>
/// <remarks>
/// <para>When to refresh: <see cref="OAuthTokenProviderOptions.RefreshMargin"/> before expiry, or at half the
/// remaining lifetime when the token lives less than twice the margin (short-lived tokens would otherwise be
/// refreshed on every request). Within the margin the refresh runs in the background and requests keep using the
/// still-valid token; only an expired token makes requests wait.</para>
/// <para>A definitive rejection of the refresh token (400/401) removes the credentials file (if it still holds that
/// token), marks the provider not ready and answers requests with 401 "run `qwenfastproxy login`"; a login done
/// later (the file appears again with a new token) is picked up without a restart.</para>
/// </remarks>
public sealed class OAuthTokenProvider : IUpstreamCredentials, IDisposable
{
    // The official client treats a token as expired this long before expiry_date: it could lapse on the way.
    private static readonly TimeSpan ExpirySkew = TimeSpan.FromSeconds(30);

    // How often a not-ready provider looks for a new login in the credentials file.
    private static readonly TimeSpan LoginCheckInterval = TimeSpan.FromSeconds(1);

    private readonly CredentialsStore _store;
    private readonly OAuthTokenClient _client;
    private readonly OAuthTokenProviderOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpMessageInvoker? _ownedHttp;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _gate = new();

    private volatile Snapshot _current;
    private Task? _flight;               // guarded by _gate
    private DateTimeOffset _retryAfter;  // guarded by _gate
    private string? _lastFailure;        // guarded by _gate
    private DateTimeOffset _nextLoginCheck;
    private long _refreshes;
    private long _refreshFailures;

    /// <summary>Creates the provider around credentials already read or obtained by a login.</summary>
    /// <param name="store">The credentials file shared with other processes.</param>
    /// <param name="client">The token endpoint.</param>
    /// <param name="initial">The credentials to start with.</param>
    /// <param name="options">Margin, retry pacing, forced base URL.</param>
    /// <param name="logger">Where refreshes and failures are reported (never a token).</param>
    /// <param name="time">Clock for expiry decisions; tests pass a fake one.</param>
    internal OAuthTokenProvider(
        CredentialsStore store,
        OAuthTokenClient client,
        QwenCredentials initial,
        OAuthTokenProviderOptions? options = null,
        ILogger? logger = null,
        TimeProvider? time = null)
        : this(store, client, initial, options, logger, time, ownedHttp: null)
    {
    }

    private OAuthTokenProvider(
        CredentialsStore store,
        OAuthTokenClient client,
        QwenCredentials initial,
        OAuthTokenProviderOptions? options,
        ILogger? logger,
        TimeProvider? time,
        HttpMessageInvoker? ownedHttp)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(initial);
        _store = store;
        _client = client;
        _options = options ?? new OAuthTokenProviderOptions();
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _ownedHttp = ownedHttp;
        _current = CreateSnapshot(initial, generation: 1, forced: false);
    }

    /// <summary>
    /// The provider the executable uses, over its own connection pool to <paramref name="oauthBaseUrl"/>
    /// (<paramref name="http"/>, which it disposes).
    /// </summary>
    public static OAuthTokenProvider Create(
        HttpMessageInvoker http,
        string oauthBaseUrl,
        CredentialsStore store,
        QwenCredentials initial,
        OAuthTokenProviderOptions options,
        ILoggerFactory loggerFactory,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return new OAuthTokenProvider(
            store, new OAuthTokenClient(http, oauthBaseUrl), initial, options, loggerFactory.CreateLogger("QwenFastProxy.Auth"), time, http);
    }

    /// <inheritdoc />
    public string? AuthType => QwenOAuthProtocol.AuthType;

    /// <summary>Refreshes done by this provider (not counting tokens adopted from another process).</summary>
    public long RefreshCount => Interlocked.Read(ref _refreshes);

    /// <summary>Refreshes that failed: refused refresh tokens and errors (network, server, lock).</summary>
    public long RefreshFailureCount => Interlocked.Read(ref _refreshFailures);

    /// <summary>True once the refresh token was definitively refused (or the saved login removed): a new login is needed.</summary>
    public bool IsLoginRejected => _current.Rejection is not null;

    /// <summary>The credentials currently in use.</summary>
    public QwenCredentials Current => _current.Credentials;

    /// <summary>The API base requests currently go to.</summary>
    public string BaseUrl => _current.Credential.BaseUrl!;

    /// <summary>The refresh in flight, or a completed task: lets tests wait for a background refresh without polling.</summary>
    internal Task RefreshInFlight
    {
        get
        {
            lock (_gate)
            {
                return _flight ?? Task.CompletedTask;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<UpstreamCredential> GetAsync(CancellationToken cancellationToken)
    {
        Snapshot current = _current;
        if (current.Rejection is null && _time.GetUtcNow() < current.RefreshAt)
        {
            return ValueTask.FromResult(current.Credential); // the hot path: one volatile read and a clock read
        }

        return SlowGetAsync(current, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<UpstreamCredential?> RenewAsync(UpstreamCredential rejected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        Snapshot current = _current;
        if (!ReferenceEquals(current.Credential, rejected))
        {
            return current.Rejection is null ? current.Credential : null; // someone already renewed it
        }

        if (current.Rejection is not null
            || (current.Forced && _time.GetUtcNow() - current.ObtainedAt < _options.MinForcedRefreshInterval))
        {
            return null;
        }

        await JoinFlightAsync(current, forced: true, cancellationToken).ConfigureAwait(false);
        Snapshot after = _current;
        return after.Rejection is null && !ReferenceEquals(after.Credential, rejected) ? after.Credential : null;
    }

    /// <inheritdoc />
    public bool IsReady(out string? reason)
    {
        Snapshot current = _current;
        if (current.Rejection is not null && TryAdoptNewLogin(current))
        {
            current = _current;
        }

        if (current.Rejection is not null)
        {
            reason = current.Rejection;
            return false;
        }

        lock (_gate)
        {
            if (_lastFailure is not null && IsExpired(current.Credentials, _time.GetUtcNow()))
            {
                reason = $"the Qwen access token has expired and refreshing it failed: {_lastFailure}";
                return false;
            }
        }

        reason = null;
        return true;
    }

    /// <summary>
    /// Start-up: refreshes now when the token is due (waiting for it), so that a dead login is found before the
    /// first request. Returns whether the provider is ready afterwards.
    /// </summary>
    public async Task<bool> PrepareAsync(CancellationToken cancellationToken)
    {
        Snapshot current = _current;
        if (current.Rejection is null && _time.GetUtcNow() >= current.RefreshAt)
        {
            await JoinFlightAsync(current, forced: false, cancellationToken).ConfigureAwait(false);
        }

        return IsReady(out _);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        // The token source is cancelled, not disposed: a flight still running reads its token.
        _disposed.Cancel();
        _ownedHttp?.Dispose();
    }

    private async ValueTask<UpstreamCredential> SlowGetAsync(Snapshot current, CancellationToken cancellationToken)
    {
        if (current.Rejection is not null)
        {
            if (!TryAdoptNewLogin(current))
            {
                return current.Unavailable!;
            }

            current = _current;
            if (_time.GetUtcNow() < current.RefreshAt)
            {
                return current.Credential;
            }
        }

        DateTimeOffset now = _time.GetUtcNow();
        bool mustWait = IsExpired(current.Credentials, now);
        string? failure;
        lock (_gate)
        {
            failure = now < _retryAfter ? _lastFailure : null;
        }

        if (failure is not null)
        {
            // A refresh failed a moment ago: use the token while it lasts, then say why there is none.
            return mustWait
                ? UpstreamCredential.Unavailable(ProxyErrors.TokenRefreshFailed(failure))
                : current.Credential;
        }

        Task flight = JoinFlightAsync(current, forced: false, CancellationToken.None);
        if (!mustWait)
        {
            return current.Credential; // refresh ahead of expiry in the background
        }

        await flight.WaitAsync(cancellationToken).ConfigureAwait(false);
        Snapshot after = _current;
        if (after.Rejection is not null)
        {
            return after.Unavailable!;
        }

        if (ReferenceEquals(after, current))
        {
            lock (_gate)
            {
                failure = _lastFailure ?? "no new token";
            }

            return UpstreamCredential.Unavailable(ProxyErrors.TokenRefreshFailed(failure));
        }

        return after.Credential;
    }

    /// <summary>Joins the refresh in flight, or starts one for <paramref name="seen"/> if it is still current.</summary>
    private Task JoinFlightAsync(Snapshot seen, bool forced, CancellationToken cancellationToken)
    {
        Task flight;
        lock (_gate)
        {
            if (_flight is { IsCompleted: false } running)
            {
                flight = running;
            }
            else if (!ReferenceEquals(_current, seen))
            {
                return Task.CompletedTask; // a flight that just finished already replaced it
            }
            else
            {
                flight = _flight = RefreshAsync(seen, forced);
            }
        }

        return cancellationToken.CanBeCanceled ? flight.WaitAsync(cancellationToken) : flight;
    }

    /// <summary>One refresh: lock, re-read, adopt or refresh, save, publish. Never throws.</summary>
    private async Task RefreshAsync(Snapshot seen, bool forced)
    {
        CancellationToken stop = _disposed.Token;

        // Off the caller's stack: the request that started the flight must not run the whole refresh inline.
        await Task.Yield();
        try
        {
            await using var fileLock = (await _store.AcquireLockAsync(stop).ConfigureAwait(false)).ConfigureAwait(false);

            // 1. What does the file hold now? Another process may have refreshed, or the user logged in or out.
            QwenCredentials basis = seen.Credentials;
            var status = _store.TryRead(out QwenCredentials? saved, out string? problem);
            switch (status)
            {
                case CredentialsFile.ReadStatus.Missing:
                    Reject(seen, "the saved credentials were removed (qwenfastproxy logout?)");
                    return;
                case CredentialsFile.ReadStatus.Corrupt:
                    // Our copy in memory is good: refresh with it, and the write below repairs the file.
                    _logger.CredentialsFileProblem(problem ?? "unreadable");
                    break;
                default:
                    if (!string.Equals(saved!.AccessToken, seen.Credentials.AccessToken, StringComparison.Ordinal)
                        && !IsExpired(saved, _time.GetUtcNow()))
                    {
                        Publish(saved, forced: false);
                        _logger.TokenAdopted("the credentials file holds a newer token", Describe(saved.ExpiryDate));
                        return;
                    }

                    basis = saved; // same token (or an expired newer one): its refresh token is the freshest
                    break;
            }

            if (basis.RefreshToken is null)
            {
                if (forced || IsExpired(basis, _time.GetUtcNow()))
                {
                    Reject(seen, "the saved credentials have no refresh token");
                }

                return;
            }

            // 2. Refresh.
            RefreshResult result = await _client.RefreshAsync(basis.RefreshToken, stop).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case RefreshOutcome.Refreshed:
                    QwenCredentials fresh = result.Tokens!.ToCredentials(_time.GetUtcNow(), basis);
                    Interlocked.Increment(ref _refreshes);
                    TrySave(fresh);
                    Publish(fresh, forced);
                    _logger.TokenRefreshed(Describe(fresh.ExpiryDate), _current.Credential.BaseUrl!);
                    return;
                case RefreshOutcome.Rejected:
                    Interlocked.Increment(ref _refreshFailures);
                    // Only remove the file if it still holds the refresh token that was refused.
                    if (status == CredentialsFile.ReadStatus.Ok
                        && string.Equals(saved!.RefreshToken, basis.RefreshToken, StringComparison.Ordinal))
                    {
                        TryDelete();
                    }

                    Reject(seen, $"the refresh token was rejected ({result.Message})");
                    return;
                default:
                    Fail(result.Message ?? "unknown error");
                    return;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed: nobody is waiting for a token any more.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Lock timeout, file trouble, anything unforeseen: a failed refresh, never a failed request path.
            Fail(ex.Message);
        }
    }

    private void Publish(QwenCredentials credentials, bool forced)
    {
        lock (_gate)
        {
            _lastFailure = null;
            _retryAfter = default;
            _current = CreateSnapshot(credentials, _current.Generation + 1, forced);
        }
    }

    private void Reject(Snapshot seen, string reason)
    {
        _logger.LoginRejected(reason);
        string message = $"{reason}; run `qwenfastproxy login`";
        lock (_gate)
        {
            _current = seen with
            {
                Generation = _current.Generation + 1,
                Rejection = message,
                Unavailable = UpstreamCredential.Unavailable(ProxyErrors.LoginRequired(message)),
            };
            _nextLoginCheck = _time.GetUtcNow() + LoginCheckInterval;
        }
    }

    private void Fail(string reason)
    {
        Interlocked.Increment(ref _refreshFailures);
        lock (_gate)
        {
            _lastFailure = reason;
            _retryAfter = _time.GetUtcNow() + _options.RetryDelay;
        }

        _logger.RefreshFailed(_options.RetryDelay.TotalSeconds, reason);
    }

    /// <summary>Not ready: has someone logged in since (a new token in the file)? Checked at most once a second.</summary>
    private bool TryAdoptNewLogin(Snapshot rejected)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (now < _nextLoginCheck || !ReferenceEquals(_current, rejected))
            {
                return !ReferenceEquals(_current, rejected) && _current.Rejection is null;
            }

            _nextLoginCheck = now + LoginCheckInterval;
        }

        if (_store.TryRead(out QwenCredentials? saved, out _) != CredentialsFile.ReadStatus.Ok
            || string.Equals(saved!.AccessToken, rejected.Credentials.AccessToken, StringComparison.Ordinal)
            || string.Equals(saved.RefreshToken, rejected.Credentials.RefreshToken, StringComparison.Ordinal)
            || IsExpired(saved, now))
        {
            return false;
        }

        lock (_gate)
        {
            if (!ReferenceEquals(_current, rejected))
            {
                return _current.Rejection is null;
            }

            _lastFailure = null;
            _retryAfter = default;
            _current = CreateSnapshot(saved, rejected.Generation + 1, forced: false);
        }

        _logger.TokenAdopted("a new login was saved", Describe(saved.ExpiryDate));
        return true;
    }

    private void TrySave(QwenCredentials credentials)
    {
        try
        {
            _store.Write(credentials);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The new token still serves this process; other processes will refresh for themselves.
            _logger.CredentialsFileProblem($"could not save the refreshed token to {_store.Path}: {ex.Message}");
        }
    }

    private void TryDelete()
    {
        try
        {
            _store.Delete();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.CredentialsFileProblem($"could not remove the rejected credentials at {_store.Path}: {ex.Message}");
        }
    }

    private Snapshot CreateSnapshot(QwenCredentials credentials, long generation, bool forced)
    {
        DateTimeOffset now = _time.GetUtcNow();
        string baseUrl = _options.ForcedBaseUrl
            ?? (ApiBaseUrl.TryNormalize(credentials.ResourceUrl, out string? fromCredentials) ? fromCredentials : ApiBaseUrl.OAuthDefault);
        return new Snapshot(
            credentials,
            new UpstreamCredential("Bearer " + credentials.AccessToken, baseUrl),
            RefreshAt(credentials.ExpiryDate, now),
            now,
            generation,
            forced);
    }

    /// <summary>Margin before expiry, or half the remaining lifetime when that is shorter than twice the margin.</summary>
    private DateTimeOffset RefreshAt(DateTimeOffset? expiry, DateTimeOffset now)
    {
        if (expiry is not { } end)
        {
            return DateTimeOffset.MaxValue; // unknown lifetime: only an upstream 401 triggers a refresh
        }

        TimeSpan remaining = end - now;
        if (remaining <= TimeSpan.Zero)
        {
            return now;
        }

        TimeSpan margin = _options.RefreshMargin;
        return remaining > margin + margin ? end - margin : now + remaining / 2;
    }

    /// <summary>Expired, or so close to it that it could lapse on the way to the upstream.</summary>
    private bool IsExpired(QwenCredentials credentials, DateTimeOffset now)
    {
        TimeSpan skew = _options.RefreshMargin < ExpirySkew ? _options.RefreshMargin : ExpirySkew;
        return credentials.IsExpired(now, skew);
    }

    private static string Describe(DateTimeOffset? expiry) =>
        expiry?.ToString("u", CultureInfo.InvariantCulture) ?? "at an unknown time";

    /// <summary>One immutable state: the credentials, the header built from them, and when to refresh.</summary>
    private sealed record Snapshot(
        QwenCredentials Credentials,
        UpstreamCredential Credential,
        DateTimeOffset RefreshAt,
        DateTimeOffset ObtainedAt,
        long Generation,
        bool Forced)
    {
        /// <summary>Not null when the login is dead: the reason, for <c>/readyz</c>.</summary>
        public string? Rejection { get; init; }

        /// <summary>What requests get while <see cref="Rejection"/> is set.</summary>
        public UpstreamCredential? Unavailable { get; init; }
    }
}
