using QwenFastProxy.Http;

namespace QwenFastProxy.Auth;

/// <summary>
/// What one upstream request is sent with: the <c>Authorization</c> value and the API base the token belongs to —
/// or, when there is no usable token, the error to answer the client with. Instances are immutable snapshots, so a
/// request that gets a 401 can hand back exactly the one that was refused (see <see cref="IUpstreamCredentials.RenewAsync"/>).
/// </summary>
public sealed class UpstreamCredential
{
    private Uri? _chatCompletionsUri;

    /// <summary>A usable credential.</summary>
    /// <param name="authorization">The header value, e.g. <c>Bearer …</c>. Secret.</param>
    /// <param name="baseUrl">Normalised API base (ending in <c>/v1</c>), or null for the proxy's configured one.</param>
    public UpstreamCredential(string authorization, string? baseUrl)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        Authorization = authorization;
        BaseUrl = baseUrl?.TrimEnd('/');
    }

    private UpstreamCredential(HttpError problem)
    {
        Authorization = string.Empty;
        Problem = problem;
    }

    /// <summary>The <c>Authorization</c> header value; empty when <see cref="Problem"/> is set.</summary>
    public string Authorization { get; }

    /// <summary>The API base the token is for, or null for the proxy's configured base.</summary>
    public string? BaseUrl { get; }

    /// <summary>Set when there is no usable token: the answer for the client (never containing a token).</summary>
    public HttpError? Problem { get; }

    /// <summary><see cref="BaseUrl"/> + <c>/chat/completions</c>, parsed once per credential rather than per request.</summary>
    internal Uri? ChatCompletionsUri => BaseUrl is null ? null : _chatCompletionsUri ??= new Uri(BaseUrl + "/chat/completions");

    /// <summary>No usable token: requests are answered with <paramref name="problem"/>.</summary>
    public static UpstreamCredential Unavailable(HttpError problem) => new(problem);

    /// <summary>Never shows the token.</summary>
    public override string ToString() => Problem is { } problem ? $"unavailable ({problem.Code})" : $"credential for {BaseUrl ?? "the configured base"}";
}
