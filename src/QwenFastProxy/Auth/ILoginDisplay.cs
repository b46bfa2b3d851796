namespace QwenFastProxy.Auth;

/// <summary>What the person logging in sees while <see cref="DeviceFlowLogin"/> runs.</summary>
internal interface ILoginDisplay
{
    /// <summary>The device code was issued: show the URL and user code; the code is valid until <paramref name="deadline"/>.</summary>
    void AuthorizationStarted(DeviceAuthorization authorization, DateTimeOffset deadline);

    /// <summary>The server asked to slow down; polling continues every <paramref name="interval"/>.</summary>
    void PollingSlowedDown(TimeSpan interval);

    /// <summary>One poll failed for a reason that may pass (network, 5xx); polling continues.</summary>
    void PollFailed(string message);

    /// <summary>Polling ended (approved, refused, expired or cancelled): stop any countdown.</summary>
    void PollingEnded();
}
