using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;
using QwenFastProxy.Resilience;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Upstream;

/// <summary>
/// Relays an upstream response whose headers have arrived: the head first, then the body through
/// <see cref="BodyRelay"/> (repaired when it is a successful event stream and STUTTER_FILTER is on), and
/// says how the body ended.
/// </summary>
internal sealed class ResponseRelay
{
    private readonly TimeSpan _readTimeout;
    private readonly TimeProvider _time;
    private readonly ObjectPool<StreamRepairer>? _repairers;
    private readonly MessagesAnswerRelay _messages;

    /// <param name="readTimeout">READ_TIMEOUT_SECONDS.</param>
    /// <param name="repair">Stutter repair of event streams (STUTTER_FILTER=on), or null to relay them untouched.</param>
    /// <param name="time">Clock of the repair's hold bound.</param>
    /// <param name="logger">Where stream state transitions go (debug level).</param>
    public ResponseRelay(TimeSpan readTimeout, StreamRepairOptions? repair = null, TimeProvider? time = null, ILogger? logger = null)
    {
        _readTimeout = readTimeout;
        _time = time ?? TimeProvider.System;
        if (repair is not null)
        {
            // A repairer is a dozen objects and arrays; streams reuse them instead of allocating them each time.
            var onTransition = logger is not null && logger.IsEnabled(LogLevel.Debug)
                ? (from, to, reason) => logger.StreamTransition(from, to, reason)
                : (Action<StreamState, StreamState, string>?)null;
            _repairers = new DefaultObjectPool<StreamRepairer>(new RepairerPolicy(repair, _time, onTransition), Environment.ProcessorCount * 64);
        }
        _messages = new MessagesAnswerRelay(readTimeout, repair, _time);
    }

    /// <param name="context">The exchange.</param>
    /// <param name="response">The upstream response; the caller disposes it.</param>
    /// <param name="exchange">Cancelled when the client leaves or the exchange's overall timeout passes.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<RelayResult> RelayAsync(RequestContext context, HttpResponseMessage response, CancellationTokenSource exchange)
    {
        if (context.Upstream.TranslateToMessages)
        {
            return await _messages.RelayAsync(context, response, exchange).ConfigureAwait(false);
        }
        var content = response.Content;
        if (context.Route == RequestRoute.Messages && response.StatusCode == System.Net.HttpStatusCode.BadRequest
            && await TryAnswerContextOverflowAsync(context, content, exchange.Token).ConfigureAwait(false))
        {
            return new RelayResult(RelayStatus.Completed, context.Response.BodyBytes);
        }
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
            return new RelayResult(RelayStatus.Completed, 0);
        }
        if (!isEventStream || _repairers is null || !response.IsSuccessStatusCode)
        {
            // The usage of a whole chat answer is near its end; a forwarded Messages answer's at its ends: keep
            // those as they pass.
            var ends = response.IsSuccessStatusCode && (context.Route == RequestRoute.Messages || (context.Route == RequestRoute.Chat && !isEventStream))
                ? context.ResponseEnds
                : null;
            ends?.Clear();
            var plain = await BodyRelay.RelayAsync(context, content, isEventStream, rewriter: null, ends, _readTimeout, exchange, _time).ConfigureAwait(false);
            if (ends is null || plain.Status != RelayStatus.Completed)
            {
                return plain;
            }
            var read = context.Route == RequestRoute.Chat
                ? UsageReader.TryReadTail(ends.Tail, out var usage)
                : UsageReader.TryReadMessages(ends.Head, ends.Tail, out usage);
            return read ? plain with { Usage = usage } : plain;
        }
        var repairer = _repairers.Get();
        repairer.StripUsage = context.Upstream.StripUsage;
        // A forwarded Messages stream is Anthropic's events: repaired per content block, ended in Anthropic's way when
        // it breaks, its usage read from its ends (message_start, message_delta) as they pass.
        repairer.MessagesEvents = context.Route == RequestRoute.Messages;
        var messageEnds = repairer.MessagesEvents ? context.ResponseEnds : null;
        messageEnds?.Clear();
        try
        {
            var result = await BodyRelay.RelayAsync(context, content, isEventStream, repairer, messageEnds, _readTimeout, exchange, _time).ConfigureAwait(false);
            var usage = messageEnds is null ? repairer.Usage
                : UsageReader.TryReadMessages(messageEnds.Head, messageEnds.Tail, out var read) ? read
                : null;
            return result with { ChunksRepaired = repairer.ChunksRepaired, BytesRemoved = repairer.BytesRemoved, Usage = usage };
        }
        finally
        {
            _repairers.Return(repairer);
        }
    }

    // A forwarded Messages request refused for its length: said the way Anthropic's clients recognise (Claude Code
    // then compacts the conversation). Any other refusal is relayed as it came (the body is buffered for that).
    private static async ValueTask<bool> TryAnswerContextOverflowAsync(RequestContext context, HttpContent content, CancellationToken cancellationToken)
    {
        try
        {
            await content.LoadIntoBufferAsync(64 * 1024, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return false; // larger than any refusal: relay it
        }
        var body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!ContextOverflow.Matches(body))
        {
            return false;
        }
        context.Response.WriteError(MessagesAnswerRelay.ToAnthropicError(400, body));
        return true;
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
