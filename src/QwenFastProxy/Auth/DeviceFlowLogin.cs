namespace QwenFastProxy.Auth;

/// <summary>
/// The OAuth2 device flow with PKCE (RFC 8628 + RFC 7636), as Qwen Code runs it: ask for a device code, show the
/// user where to approve, poll the token endpoint until they do (or refuse, or the code expires), and return the
/// credentials. Saving them is the caller's job.
/// </summary>
internal sealed class DeviceFlowLogin
{
    /// <summary>Consecutive network or server failures while polling before the login gives up.</summary>
    public const int MaxConsecutivePollFailures = 5;

    private const string TryAgain = "run `qwenfastproxy login` to try again";

    private readonly DeviceAuthorizationClient _authorization;
    private readonly OAuthTokenClient _tokens;
    private readonly TimeProvider _time;

    /// <summary>Creates the flow; <paramref name="time"/> paces the polling (tests pass a fake clock).</summary>
    public DeviceFlowLogin(DeviceAuthorizationClient authorization, OAuthTokenClient tokens, TimeProvider? time = null)
    {
        _authorization = authorization;
        _tokens = tokens;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Runs the flow. Throws <see cref="OAuthException"/> with a message for the user when the login is refused,
    /// expires or cannot be completed; <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task<QwenCredentials> RunAsync(ILoginDisplay display, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(display);
        string verifier = Pkce.CreateVerifier();
        DeviceAuthorization authorization = await _authorization.RequestAsync(Pkce.ChallengeOf(verifier), cancellationToken).ConfigureAwait(false);

        DateTimeOffset deadline = _time.GetUtcNow() + authorization.ExpiresIn;
        display.AuthorizationStarted(authorization, deadline);
        try
        {
            return await PollAsync(authorization, verifier, deadline, display, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            display.PollingEnded();
        }
    }

    private async Task<QwenCredentials> PollAsync(
        DeviceAuthorization authorization, string verifier, DateTimeOffset deadline, ILoginDisplay display, CancellationToken cancellationToken)
    {
        TimeSpan interval = DevicePollInterval.Initial(authorization.Interval);
        int failures = 0;

        // Bounded by the deadline: every turn waits at least one interval of the clock.
        while (true)
        {
            TimeSpan left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new OAuthException($"the code was not approved within {Minutes(authorization.ExpiresIn)}: {TryAgain}");
            }

            await Task.Delay(interval < left ? interval : left, _time, cancellationToken).ConfigureAwait(false);
            if (_time.GetUtcNow() >= deadline)
            {
                throw new OAuthException($"the code was not approved within {Minutes(authorization.ExpiresIn)}: {TryAgain}");
            }

            DevicePollResult result = await _tokens.PollAsync(authorization.DeviceCode, verifier, cancellationToken).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case DevicePollOutcome.Approved:
                    return result.Tokens!.ToCredentials(_time.GetUtcNow());
                case DevicePollOutcome.Pending:
                    failures = 0;
                    break;
                case DevicePollOutcome.SlowDown:
                    failures = 0;
                    interval = DevicePollInterval.AfterSlowDown(interval);
                    display.PollingSlowedDown(interval);
                    break;
                case DevicePollOutcome.Expired:
                    throw new OAuthException($"the code expired before it was approved ({result.Message}): {TryAgain}");
                case DevicePollOutcome.Denied:
                    throw new OAuthException($"the login was denied in the browser ({result.Message}): {TryAgain}");
                case DevicePollOutcome.Transient:
                    if (++failures >= MaxConsecutivePollFailures)
                    {
                        throw new OAuthException($"polling the Qwen OAuth server failed {failures} times in a row ({result.Message}): {TryAgain}");
                    }

                    display.PollFailed(result.Message ?? "unknown error");
                    break;
                default:
                    throw new OAuthException($"the Qwen OAuth server refused the login ({result.Message}): {TryAgain}");
            }
        }
    }

    private static string Minutes(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";
}
