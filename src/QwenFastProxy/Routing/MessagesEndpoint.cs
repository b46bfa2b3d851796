using System.Buffers.Text;
using System.Runtime.CompilerServices;
using QwenFastProxy.Anthropic;
using QwenFastProxy.Buffers;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Routing;

/// <summary>
/// <c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>, the Anthropic Messages API (Claude Code,
/// Anthropic SDKs). Forward mode relays the request, model renamed, to the plan's Anthropic-compatible endpoint
/// and its answer back untouched; translate mode sends it as a chat completion and translates the answer back.
/// <c>count_tokens</c> is answered locally from an estimate. Errors are in Anthropic's shape.
/// </summary>
internal sealed class MessagesEndpoint
{
    private readonly UpstreamForwarder _forwarder;
    private readonly AnthropicMode _mode;
    private readonly Uri _messagesUri;
    private readonly bool _rewriteUnknownModels;
    private readonly string _defaultModel;
    private readonly ModelAliases _aliases;
    private readonly ProxyMetrics? _metrics;

    /// <param name="forwarder">The upstream.</param>
    /// <param name="mode">Forward or translate.</param>
    /// <param name="anthropicBaseUrl">The Anthropic-compatible base forward mode sends to.</param>
    /// <param name="rewriteUnknownModels">OAuth mode: a model outside the OAuth list becomes <paramref name="defaultModel"/>.</param>
    /// <param name="defaultModel">DEFAULT_MODEL: also what a Claude model name no alias maps becomes.</param>
    /// <param name="aliases">MODEL_ALIASES.</param>
    /// <param name="metrics">Counts streams in flight.</param>
    public MessagesEndpoint(UpstreamForwarder forwarder, AnthropicMode mode, string anthropicBaseUrl, bool rewriteUnknownModels, string defaultModel, ModelAliases aliases, ProxyMetrics? metrics)
    {
        _forwarder = forwarder;
        _mode = mode;
        _messagesUri = new Uri(anthropicBaseUrl.TrimEnd('/') + "/v1/messages");
        _rewriteUnknownModels = rewriteUnknownModels;
        _defaultModel = defaultModel;
        _aliases = aliases;
        _metrics = metrics;
    }

    /// <summary><c>count_tokens</c>: <c>{"input_tokens": N}</c> from the proxy's estimate (see <see cref="TokenEstimate"/>).</summary>
    public static void CountTokens(RequestContext context)
    {
        if (!MessagesRequest.TryParse(context.Request.Body, out var request, out var error))
        {
            context.Response.WriteError(ProxyErrors.InvalidBody(error));
            return;
        }
        using (request)
        {
            Span<byte> body = stackalloc byte[48];
            "{\"input_tokens\":"u8.CopyTo(body);
            var length = "{\"input_tokens\":"u8.Length;
            Utf8Formatter.TryFormat(request.EstimateInputTokens(), body[length..], out var digits);
            length += digits;
            body[length++] = (byte)'}';
            context.Response.WriteComplete(200, ResponseOutput.JsonContentType, body[..length]);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask HandleAsync(RequestContext context)
    {
        var body = context.Request.Body;
        if (!MessagesRequest.TryParse(body, out var request, out var error))
        {
            context.Response.WriteError(ProxyErrors.InvalidBody(error));
            return;
        }
        using (request)
        {
            var model = UpstreamModel(request.Model);
            context.Upstream.Model = model;
            context.Upstream.Streaming = request.Stream;
            context.Upstream.ClientModel = request.Model;
            var metrics = request.Stream ? _metrics : null;
            metrics?.StreamStarted();
            try
            {
                if (_mode == AnthropicMode.Forward)
                {
                    await ForwardAsync(context, body, request.Model, model).ConfigureAwait(false);
                }
                else
                {
                    await TranslateAsync(context, request, model).ConfigureAwait(false);
                }
            }
            finally
            {
                metrics?.StreamEnded();
            }
        }
    }

    /// <summary>
    /// The model sent upstream: an alias first; then OAuth mode's rule for models outside its list; then a Claude
    /// name nothing mapped becomes DEFAULT_MODEL, since no Qwen endpoint serves one.
    /// </summary>
    internal string UpstreamModel(string requested)
    {
        if (_aliases.TryResolve(requested, out var aliased, out _))
        {
            requested = aliased;
        }
        if (_rewriteUnknownModels && !ModelCatalog.OAuthModels.Contains(requested))
        {
            return _defaultModel;
        }
        return requested.StartsWith("claude", StringComparison.OrdinalIgnoreCase) ? _defaultModel : requested;
    }

    private async ValueTask ForwardAsync(RequestContext context, ReadOnlyMemory<byte> body, string requested, string model)
    {
        if (model == requested)
        {
            await _forwarder.ForwardMessagesAsync(context, body, _messagesUri).ConfigureAwait(false);
            return;
        }
        // Only the model changes: the rest of the body goes as the client wrote it.
        if (!ChatRequestBody.TryParse(body.Span, out var scanned, out var error))
        {
            context.Response.WriteError(ProxyErrors.InvalidBody(error!));
            return;
        }
        var rewritten = context.AdoptRentedBody(scanned.RewriteModel(body.Span, System.Text.Json.JsonEncodedText.Encode(model), out var length), length);
        await _forwarder.ForwardMessagesAsync(context, rewritten, _messagesUri).ConfigureAwait(false);
    }

    private async ValueTask TranslateAsync(RequestContext context, MessagesRequest request, string model)
    {
        context.Upstream.TranslateToMessages = true;
        context.Upstream.InputTokensEstimate = request.EstimateInputTokens();
        using var chat = new PooledBytes(); // empty once detached; returns the buffer if writing the request throws
        request.WriteChatRequest(chat, model, ModelCatalog.Thinks(model));
        request.Dispose(); // its parse has served; the answer can stream for minutes
        var body = context.AdoptRentedBody(chat.Detach(out var length), length);
        await _forwarder.ForwardChatAsync(context, body).ConfigureAwait(false);
    }
}
