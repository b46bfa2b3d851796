using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using QwenFastProxy.Auth;
using QwenFastProxy.Http;

namespace QwenFastProxy.Upstream;

/// <summary>
/// Sends one request upstream and relays the answer: response headers are read first, then the body is
/// copied as it arrives, straight from the upstream stream into the client's output buffer (one flush per
/// read, so server-sent events reach the client frame by frame). Failures before the head is written
/// become OpenAI-shaped 502/504 answers; failures after it end the body in a way the client can see.
/// </summary>
public sealed class UpstreamForwarder
{
    private const int BodyReadSize = 16 * 1024;
    private const int EventStreamReadSize = 4 * 1024;

    private static readonly Version Http11 = new(1, 1);

    private readonly HttpMessageInvoker _client;
    private readonly IUpstreamCredentials _credentials;
    private readonly string _baseUrl;
    private readonly Uri _chatCompletionsUri;
    private readonly UpstreamTimeouts _timeouts;

    /// <summary>Creates a forwarder to <paramref name="baseUrl"/> (normalised, ending in <c>/v1</c>).</summary>
    public UpstreamForwarder(HttpMessageInvoker client, IUpstreamCredentials credentials, string baseUrl, UpstreamTimeouts timeouts)
    {
        _client = client;
        _credentials = credentials;
        _baseUrl = baseUrl.TrimEnd('/');
        _chatCompletionsUri = new Uri(_baseUrl + "/chat/completions");
        _timeouts = timeouts;
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

        using (response)
        {
            context.UpstreamStatus = (int)response.StatusCode;
            var content = response.Content;
            var isEventStream = string.Equals(content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

            // 4. The head: status, content type, the few upstream headers worth passing on.
            var head = context.Response.BeginHead((int)response.StatusCode, isEventStream ? -1 : content.Headers.ContentLength ?? -1);
            if (content.Headers.ContentType is { } contentType)
            {
                head.Header("Content-Type"u8, contentType.ToString());
            }
            if (isEventStream)
            {
                // Tell intermediaries (nginx and friends) not to buffer the stream.
                head.Line("Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"u8);
            }
            CopyResponseHeaders(response.Headers, ref head);
            context.Response.EndHead(ref head);
            if (context.Request.Method == HttpMethodKind.Head)
            {
                return;
            }

            // 5. The body, as it arrives.
            await RelayBodyAsync(context, content, isEventStream, exchange).ConfigureAwait(false);
        }
    }

    private async ValueTask RelayBodyAsync(RequestContext context, HttpContent content, bool isEventStream, CancellationTokenSource exchange)
    {
        var output = context.Response;
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(exchange.Token);
        Stream body;
        try
        {
            body = await content.ReadAsStreamAsync(exchange.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            FailAfterHead(context, isEventStream, UpstreamErrors.Interrupted);
            return;
        }

        var readSize = isEventStream ? EventStreamReadSize : BodyReadSize;
        while (true)
        {
            var memory = output.GetBodyMemory(readSize);
            silence.CancelAfter(_timeouts.Read);
            int read;
            try
            {
                read = await body.ReadAsync(memory, silence.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.Aborted.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                FailAfterHead(context, isEventStream, exchange.IsCancellationRequested ? UpstreamErrors.StreamTimeout : UpstreamErrors.ReadTimeout(_timeouts.Read));
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                FailAfterHead(context, isEventStream, UpstreamErrors.Interrupted);
                return;
            }
            if (read == 0)
            {
                break;
            }
            output.CommitBody(read);
            if (!await output.FlushAsync(context.Aborted).ConfigureAwait(false))
            {
                return; // the client left; disposing the response cancels the upstream read
            }
        }
        output.EndBody();
    }

    private static void FailAfterHead(RequestContext context, bool isEventStream, in HttpError error)
    {
        context.Response.NoteError(error);
        if (!isEventStream)
        {
            context.Response.Abandon();
            return;
        }
        // An event stream can still say what went wrong: OpenAI SDKs raise an API error for a data
        // object with an "error" key. The blank lines first end any frame the upstream left half-sent.
        var frame = new ArrayBufferWriter<byte>(256);
        frame.Write("\n\ndata: "u8);
        ErrorBody.Write(frame, error.Message, error.Type, error.Code);
        frame.Write("\n\ndata: [DONE]\n\n"u8);
        context.Response.WriteBody(frame.WrittenSpan);
        context.Response.EndBody();
    }

    private static void CopyResponseHeaders(HttpResponseHeaders headers, ref HeadWriter head)
    {
        foreach (var header in headers.NonValidated)
        {
            if (UpstreamHeaders.IsForwardedResponseHeader(header.Key))
            {
                foreach (var value in header.Value)
                {
                    head.Header(Encoding.ASCII.GetBytes(header.Key), value);
                }
            }
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
