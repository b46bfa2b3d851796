using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using QwenFastProxy.Http;

namespace QwenFastProxy.Upstream;

/// <summary>
/// Relays an upstream response whose headers have arrived: the head first, then the body copied as it
/// arrives, straight from the upstream stream into the client's output buffer (one flush per read, so
/// server-sent events reach the client frame by frame). Failures after the head is out end the body in a
/// way the client can see: an SSE error frame, or an unterminated body and a closed connection.
/// </summary>
internal sealed class ResponseRelay
{
    private const int BodyReadSize = 16 * 1024;
    private const int EventStreamReadSize = 4 * 1024;

    private readonly TimeSpan _readTimeout;

    public ResponseRelay(TimeSpan readTimeout) => _readTimeout = readTimeout;

    /// <param name="context">The exchange.</param>
    /// <param name="response">The upstream response; the caller disposes it.</param>
    /// <param name="exchange">Cancelled when the client leaves or the exchange's overall timeout passes.</param>
    public async ValueTask RelayAsync(RequestContext context, HttpResponseMessage response, CancellationTokenSource exchange)
    {
        var content = response.Content;
        var isEventStream = string.Equals(content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

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
        await RelayBodyAsync(context, content, isEventStream, exchange).ConfigureAwait(false);
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
            silence.CancelAfter(_readTimeout);
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
                FailAfterHead(context, isEventStream, exchange.IsCancellationRequested ? UpstreamErrors.StreamTimeout : UpstreamErrors.ReadTimeout(_readTimeout));
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
}
