using System.Text;
using QwenFastProxy.Auth;
using QwenFastProxy.Http;

namespace QwenFastProxy.Upstream;

/// <summary>
/// Sends one request upstream — credentials, identity headers, one timeout for the whole exchange — and
/// hands the response to <see cref="ResponseRelay"/> once its headers have arrived. Failures before that
/// become OpenAI-shaped 502/504 answers.
/// </summary>
public sealed class UpstreamForwarder
{
    private static readonly Version Http11 = new(1, 1);

    private readonly HttpMessageInvoker _client;
    private readonly IUpstreamCredentials _credentials;
    private readonly string _baseUrl;
    private readonly Uri _chatCompletionsUri;
    private readonly UpstreamTimeouts _timeouts;
    private readonly ResponseRelay _relay;

    /// <summary>Creates a forwarder to <paramref name="baseUrl"/> (normalised, ending in <c>/v1</c>).</summary>
    public UpstreamForwarder(HttpMessageInvoker client, IUpstreamCredentials credentials, string baseUrl, UpstreamTimeouts timeouts, ResponseRelay? relay = null)
    {
        _client = client;
        _credentials = credentials;
        _baseUrl = baseUrl.TrimEnd('/');
        _chatCompletionsUri = new Uri(_baseUrl + "/chat/completions");
        _timeouts = timeouts;
        _relay = relay ?? new ResponseRelay(timeouts.Read);
    }

    /// <summary>The upstream API base, e.g. <c>https://portal.qwen.ai/v1</c>.</summary>
    public string BaseUrl => _baseUrl;

    /// <summary>Forwards a chat completion whose (possibly rewritten) body is <paramref name="body"/>.</summary>
    public async ValueTask ForwardChatAsync(RequestContext context, ReadOnlyMemory<byte> body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _chatCompletionsUri) { Version = Http11 };
        request.Content = new ReadOnlyMemoryContent(body);
        UpstreamHeaders.SetJsonContentType(request.Content);
        request.Headers.TryAddWithoutValidation("Accept", context.Streaming ? "text/event-stream" : "application/json");
        await SendAndRelayAsync(context, request, context.Streaming ? _timeouts.Streaming : _timeouts.Request).ConfigureAwait(false);
    }

    /// <summary>Forwards any other <c>/v1/...</c> request as it is (method, path, query, body).</summary>
    public async ValueTask ForwardAsync(RequestContext context)
    {
        var incoming = context.Request;
        var target = incoming.Target; // starts with "/v1"
        var uri = new Uri(_baseUrl + Encoding.ASCII.GetString(target[3..]));
        using var request = new HttpRequestMessage(ToHttpMethod(incoming), uri) { Version = Http11 };
        if (!incoming.Body.IsEmpty || incoming.Method is HttpMethodKind.Post or HttpMethodKind.Put or HttpMethodKind.Patch)
        {
            request.Content = new ReadOnlyMemoryContent(incoming.Body);
        }
        UpstreamHeaders.CopyClientHeaders(incoming.Headers, request);
        await SendAndRelayAsync(context, request, _timeouts.Request).ConfigureAwait(false);
    }

    private async ValueTask SendAndRelayAsync(RequestContext context, HttpRequestMessage request, TimeSpan timeout)
    {
        // 1. One token for the whole exchange: the client leaving or the overall timeout cancels it.
        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(context.Aborted);
        exchange.CancelAfter(timeout);

        // 2. Credentials last, so that a refresh that happened while the body was read is used.
        UpstreamHeaders.AddIdentity(request, await _credentials.GetAuthorizationAsync(exchange.Token).ConfigureAwait(false), _credentials.AuthType);

        // 3. Send; read the response head only.
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, exchange.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.Aborted.IsCancellationRequested)
        {
            return; // nobody is left to answer
        }
        catch (OperationCanceledException)
        {
            context.Response.WriteError(UpstreamErrors.Timeout(timeout));
            return;
        }
        catch (HttpRequestException ex)
        {
            context.Response.WriteError(UpstreamErrors.Unreachable(ex));
            return;
        }

        // 4. Head and body back to the client, as they arrive.
        using (response)
        {
            context.UpstreamStatus = (int)response.StatusCode;
            await _relay.RelayAsync(context, response, exchange).ConfigureAwait(false);
        }
    }

    private static HttpMethod ToHttpMethod(HttpRequest request) => request.Method switch
    {
        HttpMethodKind.Get => HttpMethod.Get,
        HttpMethodKind.Post => HttpMethod.Post,
        HttpMethodKind.Put => HttpMethod.Put,
        HttpMethodKind.Delete => HttpMethod.Delete,
        HttpMethodKind.Patch => HttpMethod.Patch,
        HttpMethodKind.Head => HttpMethod.Head,
        HttpMethodKind.Options => HttpMethod.Options,
        _ => new HttpMethod(Encoding.ASCII.GetString(request.MethodBytes)),
    };
}
