namespace QwenFastProxy.Auth;

/// <summary>
/// Where upstream requests get their credentials: a fixed API key (<see cref="StaticCredentials"/>) or OAuth tokens
/// that refresh themselves (<see cref="OAuthTokenProvider"/>).
/// </summary>
public interface IUpstreamCredentials
{
    /// <summary>"qwen-oauth" when tokens come from the OAuth login, null in API-key mode.</summary>
    string? AuthType { get; }

    /// <summary>
    /// The credential for the next upstream request. In steady state a memory read that completes synchronously;
    /// it waits only when the token has expired and a refresh must finish first. Never throws for refresh trouble:
    /// a credential with <see cref="UpstreamCredential.Problem"/> set says what to answer instead.
    /// </summary>
    ValueTask<UpstreamCredential> GetAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The upstream refused <paramref name="rejected"/> (401/403, or Qwen's "invalid access token" messages): returns
    /// a different credential to retry once with — after one refresh shared by every request that saw the same
    /// refusal, or the one another refresh already produced — or null when there is nothing to renew (API keys) or
    /// the renewal failed, so the refusal goes to the client as it is.
    /// </summary>
    ValueTask<UpstreamCredential?> RenewAsync(UpstreamCredential rejected, CancellationToken cancellationToken);

    /// <summary>True when requests can be authorised; otherwise a reason for <c>/readyz</c>.</summary>
    bool IsReady(out string? reason);
}
