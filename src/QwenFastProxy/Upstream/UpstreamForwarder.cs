using System.Net;
using System.Text;
using QwenFastProxy.Auth;
using QwenFastProxy.Http;

namespace QwenFastProxy.Upstream;

/// <summary>
/// Sends one request upstream — credentials, identity headers, one timeout for the whole exchange — and
/// hands the response to <see cref="ResponseRelay"/> once its headers have arrived. Failures before that
/// become OpenAI-shaped 502/504 answers. An upstream refusal of the token (401/403, or Qwen's "invalid access
/// token" wording in a 400) gets one renewed credential and one retry: the body is still in memory, and each
/// attempt builds its own <see cref="HttpRequestMessage"/>, which can be sent only once.
/// </summary>
public sealed class UpstreamForwarder
{
    private static readonly Version Http11 = new(1, 1);

    // Error bodies worth reading for Qwen's token wording are small; larger ones are not auth errors.
    private const long MaxInspectedErrorBytes = 16 * 1024;

    // The official client's markers of a refused token in an error message (QWEN-PROTOCOL.md), lower case.
    private static readonly string[] TokenRefusalMarkers =
        ["unauthorized", "forbidden", "invalid api key", "invalid access token", "token expired"];

    private readonly HttpMessageInvoker _client;
    private readonly IUpstreamCredentials _credentials;
    private readonly string _baseUrl;
    private readonly Uri _chatCompletionsUri;
    private readonly UpstreamTimeouts _timeouts;
    private readonly ResponseRelay _relay;

    /// <summary>Creates a forwarder; <paramref name="baseUrl"/> (normalised, ending in <c>/v1</c>) is used for credentials that name no base of their own.</summary>
    /// <param name="client">The shared upstream pool.</param>
    /// <param name="credentials">Upstream credentials.</param>
    /// <param name="baseUrl">Default API base.</param>
    /// <param name="timeouts">The contract's timeouts.</param>
    /// <param name="relay">How responses go back to clients (with or without stream repair); a plain relay when null.</param>
    public UpstreamForwarder(HttpMessageInvoker client, IUpstreamCredentials credentials, string baseUrl, UpstreamTimeouts timeouts, ResponseRelay? relay = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        _client = client;
        _credentials = credentials;
        _baseUrl = baseUrl.TrimEnd('/');
        _chatCompletionsUri = new Uri(_baseUrl + "/chat/completions");
        _timeouts = timeouts;
        _relay = relay ?? new ResponseRelay(timeouts.Read);
    }

    /// <summary>The configured upstream API base, e.g. <c>https://portal.qwen.ai/v1</c>; OAuth credentials may name another (their <c>resource_url</c>).</summary>
    public string BaseUrl => _baseUrl;

    /// <summary>Forwards a chat completion whose (possibly rewritten) body is <paramref name="body"/>.</summary>
    public ValueTask ForwardChatAsync(RequestContext context, ReadOnlyMemory<byte> body) =>
        SendAndRelayAsync(context, new Outgoing(HttpMethod.Post, PathSuffix: null, body, HasBody: true), context.Streaming ? _timeouts.Streaming : _timeouts.Request);

    /// <summary>Forwards any other <c>/v1/...</c> request as it is (method, path, query, body).</summary>
    public ValueTask ForwardAsync(RequestContext context)
    {
        var incoming = context.Request;
        var suffix = Encoding.ASCII.GetString(incoming.Target[3..]); // the target starts with "/v1"
        bool hasBody = !incoming.Body.IsEmpty || incoming.Method is HttpMethodKind.Post or HttpMethodKind.Put or HttpMethodKind.Patch;
        return SendAndRelayAsync(context, new Outgoing(ToHttpMethod(incoming), suffix, incoming.Body, hasBody), _timeouts.Request);
    }

    private async ValueTask SendAndRelayAsync(RequestContext context, Outgoing outgoing, TimeSpan timeout)
    {
        // 1. One token for the whole exchange: the client leaving or the overall timeout cancels it.
        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(context.Aborted);
        exchange.CancelAfter(timeout);

        HttpRequestMessage? request = null;
        HttpResponseMessage? response = null;
        try
        {
            // 2. Credentials last, so that a refresh that happened while the body was read is used. A memory read
            //    unless the token has expired and a refresh must finish first.
            var credential = await _credentials.GetAsync(exchange.Token).ConfigureAwait(false);
            if (credential.Problem is { } problem)
            {
                context.Response.WriteError(problem);
                return;
            }

            // 3. Send; read the response head only. A refused token gets one renewal and one retry.
            for (var attempt = 0; ; attempt++)
            {
                request = Build(context, outgoing, credential);
                response = await _client.SendAsync(request, exchange.Token).ConfigureAwait(false);
                if (attempt > 0 || !await IsTokenRefusalAsync(response, exchange.Token).ConfigureAwait(false))
                {
                    break;
                }

                var renewed = await _credentials.RenewAsync(credential, exchange.Token).ConfigureAwait(false);
                if (renewed is null || renewed.Problem is not null)
                {
                    break; // nothing to renew (API key) or the renewal failed: the refusal goes to the client
                }

                credential = renewed;
                response.Dispose();
                response = null;
                request.Dispose();
                request = null;
            }
        }
        catch (OperationCanceledException) when (context.Aborted.IsCancellationRequested)
        {
            response?.Dispose();
            request?.Dispose();
            return; // nobody is left to answer
        }
        catch (OperationCanceledException)
        {
            response?.Dispose();
            request?.Dispose();
            context.Response.WriteError(UpstreamErrors.Timeout(timeout));
            return;
        }
        catch (HttpRequestException ex)
        {
            response?.Dispose();
            request?.Dispose();
            context.Response.WriteError(UpstreamErrors.Unreachable(ex));
            return;
        }

        // 4. Head and body back to the client, as they arrive.
        using (request)
        using (response)
        {
            context.UpstreamStatus = (int)response!.StatusCode;
            await _relay.RelayAsync(context, response, exchange).ConfigureAwait(false);
        }
    }

    /// <summary>A fresh message for one attempt: the body is shared, the message is not.</summary>
    private HttpRequestMessage Build(RequestContext context, in Outgoing outgoing, UpstreamCredential credential)
    {
        HttpRequestMessage request;
        if (outgoing.PathSuffix is null)
        {
            request = new HttpRequestMessage(HttpMethod.Post, credential.ChatCompletionsUri ?? _chatCompletionsUri) { Version = Http11 };
            request.Content = new ReadOnlyMemoryContent(outgoing.Body);
            UpstreamHeaders.SetJsonContentType(request.Content);
            request.Headers.TryAddWithoutValidation("Accept", context.Streaming ? "text/event-stream" : "application/json");
        }
        else
        {
            request = new HttpRequestMessage(outgoing.Method, new Uri((credential.BaseUrl ?? _baseUrl) + outgoing.PathSuffix)) { Version = Http11 };
            if (outgoing.HasBody)
            {
                request.Content = new ReadOnlyMemoryContent(outgoing.Body);
            }

            UpstreamHeaders.CopyClientHeaders(context.Request.Headers, request);
        }

        UpstreamHeaders.AddIdentity(request, credential.Authorization, _credentials.AuthType);
        return request;
    }

    /// <summary>
    /// 401 and 403 refuse the token. A 400 does when its (small, JSON) body carries Qwen's token wording; that body
    /// is buffered to look, and the relay then reads the buffered copy.
    /// </summary>
    private static async ValueTask<bool> IsTokenRefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                return true;
            case HttpStatusCode.BadRequest:
                break;
            default:
                return false;
        }

        var content = response.Content;
        if (content.Headers.ContentLength is not (> 0 and <= MaxInspectedErrorBytes)
            || string.Equals(content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            await content.LoadIntoBufferAsync(MaxInspectedErrorBytes, cancellationToken).ConfigureAwait(false);
            var text = await content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            foreach (var marker in TokenRefusalMarkers)
            {
                if (text.Contains(marker, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // The relay meets the same failure and reports it.
        }

        return false;
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

    /// <summary>What to send, independent of the credential: kept so a retry can build the message again.</summary>
    /// <param name="Method">HTTP method (pass-through) or POST (chat).</param>
    /// <param name="PathSuffix">Path and query after <c>/v1</c> for pass-through; null for chat completions.</param>
    /// <param name="Body">The request body, in memory for the whole exchange.</param>
    /// <param name="HasBody">Whether to send content at all.</param>
    private readonly record struct Outgoing(HttpMethod Method, string? PathSuffix, ReadOnlyMemory<byte> Body, bool HasBody);
}
