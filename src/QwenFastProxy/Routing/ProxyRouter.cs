using System.Buffers;
using System.Globalization;
using QwenFastProxy.Auth;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;
using QwenFastProxy.Resilience;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Routing;

/// <summary>
/// Dispatches a request by method and route (<see cref="RequestContext.Route"/>): CORS preflight, health and readiness,
/// the local models list, chat completions, and pass-through for the rest of <c>/v1</c>. When client keys
/// are configured, every request but the preflight, <c>/healthz</c> and the status page's static HTML (<c>/</c>,
/// <c>/status</c>, which holds no figures) must carry one; <c>/metrics</c> and <c>/status.json</c> stay protected.
/// </summary>
internal sealed class ProxyRouter : IRequestHandler
{
    private readonly UpstreamForwarder _forwarder;
    private readonly ChatCompletionsEndpoint _chat;
    private readonly IUpstreamCredentials _credentials;
    private readonly ClientKeyGate _gate;
    private readonly CircuitBreaker? _circuit;
    private readonly ProxyMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _startedAt;
    private readonly string? _plan;
    private readonly ModelListCache? _models;
    private readonly UsageLedger? _usage;
    private readonly MessagesEndpoint? _messages;

    /// <summary>Creates the router.</summary>
    /// <param name="forwarder">Upstream calls.</param>
    /// <param name="credentials">Upstream credentials (readiness).</param>
    /// <param name="gate">Client keys (PROXY_API_KEYS).</param>
    /// <param name="rewriteUnknownModels">OAuth mode: map unknown models to <paramref name="defaultModel"/>.</param>
    /// <param name="defaultModel">DEFAULT_MODEL.</param>
    /// <param name="circuit">The upstream's circuit breaker (readiness), or null.</param>
    /// <param name="metrics">The proxy's figures for <c>/metrics</c> and <c>/status.json</c>; without them both answer 404.</param>
    /// <param name="time">Clock of the status report.</param>
    /// <param name="plan">The API key's plan, shown by the status report; null when none.</param>
    /// <param name="shaping">Chat request rewrites (REQUEST_SHAPING).</param>
    /// <param name="aliases">Model names sent as other models (MODEL_ALIASES).</param>
    /// <param name="models">The upstream's model list (API-key mode), or null to answer from the local list.</param>
    /// <param name="messages">The Anthropic Messages API; null serves none.</param>
    /// <param name="usage">Usage per client key and model (<c>/usage</c>, <c>/metrics</c>); null serves no <c>/usage</c>.</param>
    public ProxyRouter(UpstreamForwarder forwarder, IUpstreamCredentials credentials, ClientKeyGate gate, bool rewriteUnknownModels, string defaultModel, CircuitBreaker? circuit = null, ProxyMetrics? metrics = null, TimeProvider? time = null, string? plan = null, RequestShaping shaping = RequestShaping.None, ModelAliases? aliases = null, ModelListCache? models = null, UsageLedger? usage = null, MessagesEndpoint? messages = null)
    {
        _messages = messages;
        _usage = usage;
        _models = models;
        _plan = plan;
        _circuit = circuit;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _startedAt = _time.GetUtcNow();
        _forwarder = forwarder;
        _credentials = credentials;
        _gate = gate;
        _chat = new ChatCompletionsEndpoint(forwarder, rewriteUnknownModels, defaultModel, metrics, shaping, aliases);
    }

    /// <inheritdoc />
    public ValueTask HandleAsync(RequestContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var route = context.Route;
        response.AnthropicErrors = route is RequestRoute.Messages or RequestRoute.CountTokens;

        if (request.Method == HttpMethodKind.Options)
        {
            LocalResponses.Preflight(response);
            return ValueTask.CompletedTask;
        }
        switch (route)
        {
            case RequestRoute.Health:
                if (IsGet(context))
                {
                    LocalResponses.Healthy(response);
                }
                return ValueTask.CompletedTask;
            case RequestRoute.StatusPage:
                // The page is a static shell: its figures come from /status.json, which needs the key.
                if (IsGet(context))
                {
                    response.WriteComplete(200, StatusPage.ContentTypeHeader, StatusPage.Html);
                }
                return ValueTask.CompletedTask;
        }
        // PROXY_API_KEYS guards everything else, readiness and unknown paths included: whoever can reach the
        // proxy without a key learns nothing about it.
        if (!_gate.TryAdmit(request.Headers, out var clientKey))
        {
            response.WriteError(ProxyErrors.MissingClientKey);
            return ValueTask.CompletedTask;
        }
        context.ClientKey = clientKey;
        switch (route)
        {
            case RequestRoute.Ready:
                if (IsGet(context))
                {
                    var ready = IsReady(out var reason);
                    LocalResponses.Readiness(response, ready, reason);
                }
                return ValueTask.CompletedTask;
            case RequestRoute.Metrics when _metrics is not null:
                if (IsGet(context))
                {
                    var body = new ArrayBufferWriter<byte>(8 * 1024);
                    PrometheusExposition.Write(body, _metrics, IsReady(out _), _usage);
                    response.WriteComplete(200, PrometheusExposition.ContentTypeHeader, body.WrittenSpan);
                }
                return ValueTask.CompletedTask;
            case RequestRoute.StatusJson when _metrics is not null:
                if (IsGet(context))
                {
                    WriteStatus(response, _metrics);
                }
                return ValueTask.CompletedTask;
            case RequestRoute.Messages or RequestRoute.CountTokens when _messages is not null:
                if (request.Method != HttpMethodKind.Post)
                {
                    response.WriteError(ProxyErrors.MethodNotAllowed, "Allow: POST, OPTIONS\r\n"u8); // in Anthropic's shape
                    return ValueTask.CompletedTask;
                }
                if (route == RequestRoute.CountTokens)
                {
                    MessagesEndpoint.CountTokens(context);
                    return ValueTask.CompletedTask;
                }
                return _messages.HandleAsync(context);
            case RequestRoute.Usage when _usage is not null:
                return IsGet(context) ? UsageEndpoint.ServeAsync(context, _usage) : ValueTask.CompletedTask;
            case RequestRoute.Chat:
                if (request.Method != HttpMethodKind.Post)
                {
                    LocalResponses.MethodNotAllowedWith(response, "Content-Type: application/json\r\nAllow: POST, OPTIONS\r\n"u8);
                    return ValueTask.CompletedTask;
                }
                return _chat.HandleAsync(context);
            case RequestRoute.Models when request.Method == HttpMethodKind.Get:
                if (_models is not null)
                {
                    return ServeUpstreamModelsAsync(context, _models);
                }
                LocalResponses.Models(response);
                return ValueTask.CompletedTask;
            case RequestRoute.Models or RequestRoute.Passthrough:
                return _forwarder.ForwardAsync(context);
            default:
                response.WriteError(ProxyErrors.NotFound);
                return ValueTask.CompletedTask;
        }
    }

    /// <summary><c>GET /v1/models</c> from the upstream's list, or the local one when the upstream has none to give.</summary>
    private static async ValueTask ServeUpstreamModelsAsync(RequestContext context, ModelListCache models)
    {
        byte[]? list;
        try
        {
            list = await models.GetAsync(context.Aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.Aborted.IsCancellationRequested)
        {
            return; // the client left
        }
        if (list is null)
        {
            LocalResponses.Models(context.Response);
            return;
        }
        context.Response.WriteComplete(200, ResponseOutput.JsonContentType, list);
    }

    /// <summary>Readiness as <c>/readyz</c> reports it: usable credentials and a circuit that lets requests through.</summary>
    private bool IsReady(out string? reason)
    {
        var ready = _credentials.IsReady(out reason);
        if (ready && IsCircuitOpen(out var retryAfter))
        {
            ready = false;
            reason = string.Create(CultureInfo.InvariantCulture,
                $"circuit breaker open: the upstream is failing; a trial request is let through in {RetryAfterHeader.ToDeltaSeconds(retryAfter)} s");
        }
        return ready;
    }

    private void WriteStatus(ResponseOutput response, ProxyMetrics metrics)
    {
        var ready = IsReady(out var reason);
        var tokens = _credentials as OAuthTokenProvider;
        var report = new StatusReport(
            ready,
            reason,
            _credentials.AuthType is null ? "api_key" : "oauth",
            _plan,
            tokens?.BaseUrl ?? _forwarder.BaseUrl,
            tokens?.Current.ExpiryDate,
            _circuit?.State ?? CircuitState.Closed,
            _time.GetUtcNow(),
            _startedAt);
        var body = new ArrayBufferWriter<byte>(1024);
        report.WriteJson(body, metrics);
        response.WriteComplete(200, "Content-Type: application/json\r\nCache-Control: no-store\r\n"u8, body.WrittenSpan);
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
