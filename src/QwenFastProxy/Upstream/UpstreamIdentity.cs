using System.Text;
using QwenFastProxy.Auth;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;

namespace QwenFastProxy.Upstream;

/// <summary>
/// The User-Agent the upstream sees. An OAuth login is the Qwen Code client's, so its requests say so; with an
/// API key the proxy names itself rather than another product, except on Coding Plan, which serves only coding
/// agents and tells them apart by User-Agent: there the calling agent's own User-Agent goes upstream. A
/// configured <c>QWEN_USER_AGENT</c> wins everywhere.
/// </summary>
internal sealed class UpstreamIdentity
{
    /// <summary>The proxy's own name and version.</summary>
    public static readonly string ProxyUserAgent = "QwenFastProxy/" + ProxyVersion.Text;

    private readonly string _userAgent;
    private readonly bool _forwardClients;

    private UpstreamIdentity(string userAgent, bool forwardClients)
    {
        _userAgent = userAgent;
        _forwardClients = forwardClients;
    }

    /// <summary>The identity for <paramref name="options"/> when the upstream is <paramref name="upstreamBaseUrl"/>.</summary>
    public static UpstreamIdentity For(ProxyOptions options, string upstreamBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.UserAgent is { } configured)
        {
            return new(configured, forwardClients: false);
        }
        if (!options.ApiKeyMode)
        {
            return new(QwenClientIdentity.UserAgent, forwardClients: false);
        }
        var plan = QwenPlan.For(options, upstreamBaseUrl);
        return new(ProxyUserAgent, forwardClients: plan?.CodingAgentsOnly == true);
    }

    /// <summary>The User-Agent of requests the proxy makes on its own (no client to speak for).</summary>
    public string OwnUserAgent => _userAgent;

    /// <summary>The User-Agent for a request whose client sent <paramref name="client"/>.</summary>
    public string UserAgentFor(RequestHeaders client) =>
        _forwardClients && client.TryGet("User-Agent"u8, out var agent) && !agent.IsEmpty
            ? Encoding.Latin1.GetString(agent)
            : _userAgent;
}
