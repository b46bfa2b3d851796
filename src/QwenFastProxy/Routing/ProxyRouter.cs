using QwenFastProxy.Auth;
using System.Globalization;
using QwenFastProxy.Http;
using QwenFastProxy.Resilience;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Routing;

/// <summary>
/// Dispatches a request by method and path (compared as bytes): CORS preflight, health and readiness,
/// the local models list, chat completions, and pass-through for the rest of <c>/v1</c>. When client keys
/// are configured, every request but the preflight and <c>/healthz</c> must carry one.
/// </summary>
public sealed class ProxyRouter : IRequestHandler
{
    private readonly UpstreamForwarder _forwarder;
    private readonly ChatCompletionsEndpoint _chat;
    private readonly IUpstreamCredentials _credentials;
    private readonly ClientKeyGate _gate;
    private readonly CircuitBreaker? _circuit;

    /// <summary>Creates the router.</summary>
    /// <param name="forwarder">Upstream calls.</param>
    /// <param name="credentials">Upstream credentials (readiness).</param>
    /// <param name="gate">Client keys (PROXY_API_KEYS).</param>
    /// <param name="rewriteUnknownModels">OAuth mode: map unknown models to <paramref name="defaultModel"/>.</param>
    /// <param name="defaultModel">DEFAULT_MODEL.</param>
    /// <param name="circuit">The upstream's circuit breaker (readiness), or null.</param>
    public ProxyRouter(UpstreamForwarder forwarder, IUpstreamCredentials credentials, ClientKeyGate gate, bool rewriteUnknownModels, string defaultModel, CircuitBreaker? circuit = null)
    {
        _circuit = circuit;
        _forwarder = forwarder;
        _credentials = credentials;
        _gate = gate;
        _chat = new ChatCompletionsEndpoint(forwarder, rewriteUnknownModels, defaultModel);
    }

    /// <inheritdoc />
    public ValueTask HandleAsync(RequestContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Path;

        if (request.Method == HttpMethodKind.Options)
        {
            LocalResponses.Preflight(response);
            return ValueTask.CompletedTask;
        }
        if (path.SequenceEqual("/healthz"u8))
        {
            if (IsGet(context))
            {
                LocalResponses.Healthy(response);
            }
            return ValueTask.CompletedTask;
        }
        // PROXY_API_KEYS guards everything else, readiness and unknown paths included: whoever can reach the
        // proxy without a key learns nothing about it.
        if (!_gate.Allows(request.Headers))
        {
            response.WriteError(LocalResponses.MissingClientKey);
            return ValueTask.CompletedTask;
        }
        if (path.SequenceEqual("/readyz"u8))
        {
            if (IsGet(context))
            {
                var ready = _credentials.IsReady(out var reason);
                if (ready && IsCircuitOpen(out var retryAfter))
                {
                    ready = false;
                    reason = string.Create(CultureInfo.InvariantCulture,
                        $"circuit breaker open: the upstream is failing; a trial request is let through in {RetryAfterHeader.ToDeltaSeconds(retryAfter)} s");
                }
                LocalResponses.Readiness(response, ready, reason);
            }
            return ValueTask.CompletedTask;
        }
        if (!path.StartsWith("/v1/"u8))
        {
            response.WriteError(LocalResponses.NotFound);
            return ValueTask.CompletedTask;
        }
        if (path.SequenceEqual("/v1/chat/completions"u8))
        {
            if (request.Method != HttpMethodKind.Post)
            {
                LocalResponses.MethodNotAllowedWith(response, "Content-Type: application/json\r\nAllow: POST, OPTIONS\r\n"u8);
                return ValueTask.CompletedTask;
            }
            return _chat.HandleAsync(context);
        }
        if (path.SequenceEqual("/v1/models"u8) && request.Method == HttpMethodKind.Get)
        {
            LocalResponses.Models(response);
            return ValueTask.CompletedTask;
        }
        return _forwarder.ForwardAsync(context);
    }

    /// <summary>
    /// True while the circuit refuses requests. Once the open time has passed the next request becomes the trial,
    /// so the proxy is ready again even though the state still reads Open until that request arrives.
    /// </summary>
    private bool IsCircuitOpen(out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_circuit is null || _circuit.State != CircuitState.Open)
        {
            return false;
        }
        retryAfter = _circuit.RetryAfter;
        return retryAfter > TimeSpan.Zero;
    }

    /// <summary>True for GET; otherwise answers 405 naming the allowed methods.</summary>
    private static bool IsGet(RequestContext context)
    {
        if (context.Request.Method == HttpMethodKind.Get)
        {
            return true;
        }
        LocalResponses.MethodNotAllowedWith(context.Response, "Content-Type: application/json\r\nAllow: GET, OPTIONS\r\n"u8);
        return false;
    }
}
