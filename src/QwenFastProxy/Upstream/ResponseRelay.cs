using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Upstream;

/// <summary>
/// Relays an upstream response whose headers have arrived: the head first, then the body copied as it
/// arrives, straight from the upstream stream into the client's output buffer (one flush per read, so
/// server-sent events reach the client frame by frame). Failures after the head is out end the body in a
/// way the client can see: an SSE error frame, or an unterminated body and a closed connection.
/// </summary>
public sealed class ResponseRelay
{
    private const int BodyReadSize = 16 * 1024;
    private const int EventStreamReadSize = 4 * 1024;

    private readonly TimeSpan _readTimeout;
    private readonly StreamRepairOptions? _repair;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;

    /// <param name="readTimeout">READ_TIMEOUT_SECONDS.</param>
    /// <param name="repair">Stutter repair of event streams (STUTTER_FILTER=on), or null to relay them untouched.</param>
    /// <param name="time">Clock of the repair's hold bound.</param>
    /// <param name="logger">Where stream state transitions go (debug level).</param>
    public ResponseRelay(TimeSpan readTimeout, StreamRepairOptions? repair = null, TimeProvider? time = null, ILogger? logger = null)
    {
        _readTimeout = readTimeout;
        _repair = repair;
        _time = time ?? TimeProvider.System;
        _logger = logger;
    }

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
        Stream body;
        try
        {
            body = await content.ReadAsStreamAsync(exchange.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            if (!context.Aborted.IsCancellationRequested)
            {
                FailAfterHead(context, isEventStream, UpstreamErrors.Interrupted);
            }
            return;
        }
        if (isEventStream && _repair is not null && response.IsSuccessStatusCode)
        {
            await RelayRepairedAsync(context, body, exchange).ConfigureAwait(false);
            return;
        }
        await RelayBodyAsync(context, body, isEventStream, exchange).ConfigureAwait(false);
    }

    private async ValueTask RelayRepairedAsync(RequestContext context, Stream body, CancellationTokenSource exchange)
    {
        var logger = _logger is not null && _logger.IsEnabled(LogLevel.Debug) ? _logger : null;
        using var repairer = new StreamRepairer(_repair!, _time, logger is null ? null : (from, to, reason) => logger.StreamTransition(from, to, reason));
        try
        {
            await SseRelay.RelayAsync(context, body, repairer, _readTimeout, exchange, _time).ConfigureAwait(false);
        }
        finally
        {
            context.StutterChunksRepaired = repairer.ChunksRepaired;
            context.StutterBytesRemoved = repairer.BytesRemoved;
        }
    }

    private async ValueTask RelayBodyAsync(RequestContext context, Stream body, bool isEventStream, CancellationTokenSource exchange)
    {
        var output = context.Response;
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(exchange.Token);
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
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
            {
                if (UpstreamErrors.ForBrokenBody(ex, _readTimeout, context.Aborted, exchange.Token) is { } error)
                {
                    FailAfterHead(context, isEventStream, error);
                }
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
        SseErrorFrame.Write(context.Response.Body, error, closeOpenFrame: true);
        context.Response.Body.Commit();
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
                    head.Header(header.Key, value);
                }
            }
        }
    }
}
