using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;
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
    private readonly TimeSpan _readTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly ObjectPool<StreamRepairer>? _repairers;

    /// <param name="readTimeout">READ_TIMEOUT_SECONDS.</param>
    /// <param name="repair">Stutter repair of event streams (STUTTER_FILTER=on), or null to relay them untouched.</param>
    /// <param name="time">Clock of the repair's hold bound.</param>
    /// <param name="logger">Where stream state transitions go (debug level).</param>
    public ResponseRelay(TimeSpan readTimeout, StreamRepairOptions? repair = null, TimeProvider? time = null, ILogger? logger = null)
    {
        _readTimeout = readTimeout;
        _time = time ?? TimeProvider.System;
        _logger = logger;
        if (repair is not null)
        {
            // A repairer is a dozen objects and arrays; streams reuse them instead of allocating them each time.
            var onTransition = logger is not null && logger.IsEnabled(LogLevel.Debug)
                ? (from, to, reason) => logger.StreamTransition(from, to, reason)
                : (Action<StreamState, StreamState, string>?)null;
            _repairers = new DefaultObjectPool<StreamRepairer>(new RepairerPolicy(repair, _time, onTransition), Environment.ProcessorCount * 64);
        }
    }

    /// <param name="context">The exchange.</param>
    /// <param name="response">The upstream response; the caller disposes it.</param>
    /// <param name="exchange">Cancelled when the client leaves or the exchange's overall timeout passes.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RelayAsync(RequestContext context, HttpResponseMessage response, CancellationTokenSource exchange)
    {
        var content = response.Content;
        // The content type as the upstream sent it: parsing it into a MediaTypeHeaderValue and formatting it back
        // cost a parse and a string per response.
        var contentType = content.Headers.NonValidated.TryGetValues("Content-Type", out var values) ? values.ToString() : null;
        var isEventStream = contentType is not null && UpstreamHeaders.IsEventStream(contentType);

        var head = context.Response.BeginHead((int)response.StatusCode, isEventStream ? -1 : content.Headers.ContentLength ?? -1);
        if (contentType is not null)
        {
            head.Header("Content-Type"u8, contentType);
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
        if (isEventStream && _repairers is not null && response.IsSuccessStatusCode)
        {
            await RelayRepairedAsync(context, body, exchange).ConfigureAwait(false);
            return;
        }
        await RelayBodyAsync(context, body, isEventStream, exchange).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RelayRepairedAsync(RequestContext context, Stream body, CancellationTokenSource exchange)
    {
        var repairer = _repairers!.Get();
        try
        {
            await SseRelay.RelayAsync(context, body, repairer, _readTimeout, exchange, _time).ConfigureAwait(false);
        }
        finally
        {
            context.StutterChunksRepaired = repairer.ChunksRepaired;
            context.StutterBytesRemoved = repairer.BytesRemoved;
            _repairers.Return(repairer);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RelayBodyAsync(RequestContext context, Stream body, bool isEventStream, CancellationTokenSource exchange)
    {
        var output = context.Response;
        // The silence between reads, and the exchange's own end (its deadline, the client leaving).
        var silence = context.ReadTimeout.Start(_readTimeout);
        using var followExchange = ReusableTimeout.Follow(silence, exchange.Token);
        while (true)
        {
            silence.CancelAfter(_readTimeout);
            int read;
            try
            {
                if (isEventStream)
                {
                    // Wait for the next event without holding an output block: a slow stream idles most of the time.
                    await body.ReadAsync(Memory<byte>.Empty, silence.Token).ConfigureAwait(false);
                }
                var memory = output.GetBodyMemory(ResponseOutput.PooledBodyBytes);
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

    private sealed class RepairerPolicy(StreamRepairOptions options, TimeProvider time, Action<StreamState, StreamState, string>? onTransition)
        : PooledObjectPolicy<StreamRepairer>
    {
        public override StreamRepairer Create() => new(options, time, onTransition);

        public override bool Return(StreamRepairer obj)
        {
            obj.Recycle();
            return true;
        }
    }
}
