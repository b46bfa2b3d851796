using System.Runtime.CompilerServices;
using System.Text.Json;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Routing;

/// <summary>
/// <c>POST /v1/chat/completions</c>: checks the body is a JSON object, learns <c>model</c> and
/// <c>stream</c>, applies the OAuth model rule (an unknown model becomes DEFAULT_MODEL, by splicing the
/// bytes) and forwards.
/// </summary>
internal sealed class ChatCompletionsEndpoint
{
    private readonly UpstreamForwarder _forwarder;
    private readonly bool _rewriteUnknownModels;
    private readonly string _defaultModel;
    private readonly JsonEncodedText _defaultModelJson;

    private readonly ProxyMetrics? _metrics;
    private readonly RequestShaping _shaping;
    private readonly ModelAliases _aliases;

    public ChatCompletionsEndpoint(UpstreamForwarder forwarder, bool rewriteUnknownModels, string defaultModel, ProxyMetrics? metrics = null, RequestShaping shaping = RequestShaping.None, ModelAliases? aliases = null)
    {
        _shaping = shaping;
        _aliases = aliases ?? ModelAliases.None;
        _metrics = metrics;
        _forwarder = forwarder;
        _rewriteUnknownModels = rewriteUnknownModels;
        _defaultModel = defaultModel;
        _defaultModelJson = JsonEncodedText.Encode(defaultModel);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask HandleAsync(RequestContext context)
    {
        var body = context.Request.Body;
        if (!ChatRequestBody.TryParse(body.Span, out var chat, out var error, _shaping))
        {
            // The body was framed correctly and read whole, so the connection stays open for the next request.
            context.Response.WriteError(ProxyErrors.InvalidBody(error!));
            return;
        }
        context.Upstream.Streaming = chat.Stream;
        context.Upstream.StripUsage = chat.ForcedUsage;
        context.Upstream.Model = chat.Model;
        if (chat.Stream && _metrics is { } metrics)
        {
            metrics.StreamStarted();
            try
            {
                await ForwardAsync(context, body, chat).ConfigureAwait(false);
            }
            finally
            {
                metrics.StreamEnded();
            }
            return;
        }
        await ForwardAsync(context, body, chat).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardAsync(RequestContext context, ReadOnlyMemory<byte> body, ChatRequestBody chat)
    {

        // An alias first (a name the client insists on → a Qwen model), then OAuth mode's rule for unknown models.
        JsonEncodedText? replacement = null;
        string? sentModel = null;
        var known = chat.IsKnownModel;
        if (_aliases.TryResolve(chat.Model, out var aliased, out var aliasedJson))
        {
            (replacement, sentModel, known) = (aliasedJson, aliased, ModelCatalog.FindOAuthModel(aliasedJson.EncodedUtf8Bytes) is not null);
        }
        if (_rewriteUnknownModels && !known)
        {
            (replacement, sentModel) = (_defaultModelJson, _defaultModel);
        }
        if (replacement is null && chat.Shaping is null)
        {
            await _forwarder.ForwardChatAsync(context, body).ConfigureAwait(false);
            return;
        }

        var rewritten = context.AdoptRentedBody(chat.Rewrite(body.Span, replacement, out var length), length);
        if (sentModel is not null)
        {
            context.Upstream.Model = sentModel;
        }
        await _forwarder.ForwardChatAsync(context, rewritten).ConfigureAwait(false);
    }
}
