namespace QwenFastProxy.Auth;

/// <summary>What the upstream client needs from authentication: the bearer value, and whether it has one.</summary>
public interface IUpstreamCredentials
{
    /// <summary>"qwen-oauth" when tokens come from the OAuth login, null in API-key mode.</summary>
    string? AuthType { get; }

    /// <summary>The <c>Authorization</c> header value for the upstream, e.g. <c>Bearer …</c>.</summary>
    ValueTask<string> GetAuthorizationAsync(CancellationToken cancellationToken);

    /// <summary>True when requests can be authorised; otherwise a reason for <c>/readyz</c>.</summary>
    bool IsReady(out string? reason);
}
