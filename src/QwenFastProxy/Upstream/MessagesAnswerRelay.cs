using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.ObjectPool;
using QwenFastProxy.Anthropic;
using QwenFastProxy.Http;
using QwenFastProxy.Resilience;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Upstream;

/// <summary>
/// The answer to a Messages API request that went upstream as a chat completion, translated back: an event stream
/// through <see cref="MessagesEventStream"/> (repair, then Messages events), a whole answer into one Messages
/// object, an error into Anthropic's error shape with the upstream's status and words.
/// </summary>
internal sealed class MessagesAnswerRelay
{
    // A whole chat answer is read into memory to be rewritten; nothing a model writes comes near this.
    private const int MaxAnswerBytes = 64 * 1024 * 1024;
    private const int MaxErrorBytes = 64 * 1024;

    private readonly TimeSpan _readTimeout;
    private readonly TimeProvider _time;
    private readonly ObjectPool<MessagesEventStream> _streams;

    public MessagesAnswerRelay(TimeSpan readTimeout, StreamRepairOptions? repair, TimeProvider time)
    {
        _readTimeout = readTimeout;
        _time = time;
        _streams = new DefaultObjectPool<MessagesEventStream>(new StreamPolicy(repair, time), Environment.ProcessorCount * 16);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RelayResult> RelayAsync(RequestContext context, HttpResponseMessage response, CancellationTokenSource exchange)
    {
        var content = response.Content;
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                await content.LoadIntoBufferAsync(MaxErrorBytes, exchange.Token).ConfigureAwait(false);
                var error = await content.ReadAsByteArrayAsync(exchange.Token).ConfigureAwait(false);
                context.Response.WriteError(ToAnthropicError((int)response.StatusCode, error));
                return new RelayResult(RelayStatus.Completed, context.Response.BodyBytes);
            }
            var contentType = content.Headers.NonValidated.TryGetValues("Content-Type", out var values) ? values.ToString() : null;
            if (contentType is not null && UpstreamHeaders.IsEventStream(contentType))
            {
                return await RelayStreamAsync(context, content, exchange).ConfigureAwait(false);
            }
            await content.LoadIntoBufferAsync(MaxAnswerBytes, exchange.Token).ConfigureAwait(false);
            var answer = await content.ReadAsByteArrayAsync(exchange.Token).ConfigureAwait(false);
            return WriteWhole(context, answer);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            if (context.Aborted.IsCancellationRequested)
            {
                return new RelayResult(RelayStatus.ClientGone, context.Response.BodyBytes);
            }
            var timedOut = ex is OperationCanceledException;
            context.Response.WriteError(timedOut ? ProxyErrors.BodyTimeout : ProxyErrors.Interrupted);
            return new RelayResult(timedOut ? RelayStatus.TimedOut : RelayStatus.UpstreamBroke, context.Response.BodyBytes);
        }
    }

    /// <summary>The upstream's refusal with its status and message, in Anthropic's shape; a context overflow as Anthropic words it.</summary>
    internal static HttpError ToAnthropicError(int status, ReadOnlySpan<byte> body)
    {
        Span<byte> scratch = stackalloc byte[3 * UpstreamErrorBody.ScratchBytesPerField];
        var fields = UpstreamErrorBody.Read(body, scratch);
        var message = fields.Message.IsEmpty
            ? $"The upstream answered {status} without an error message."
            : Encoding.UTF8.GetString(fields.Message);
        if (status == 400 && ContextOverflow.Matches(body))
        {
            message = $"{ContextOverflow.AnthropicPrefix}: {message}";
        }
        return new HttpError(status, message, fields.Code.IsEmpty ? "upstream_error" : Encoding.UTF8.GetString(fields.Code));
    }

    private static RelayResult WriteWhole(RequestContext context, byte[] answer)
    {
        var output = new ArrayBufferWriter<byte>(answer.Length + 256);
        if (!ChatToMessagesResponse.TryWrite(answer, context.Upstream.ClientModel ?? "", output))
        {
            context.Response.WriteError(ProxyErrors.InvalidResponse);
            return new RelayResult(RelayStatus.UpstreamMalformed, context.Response.BodyBytes);
        }
        context.Response.WriteComplete(200, ResponseOutput.JsonContentType, output.WrittenSpan);
        return new RelayResult(RelayStatus.Completed, context.Response.BodyBytes,
            Usage: UsageReader.TryReadChunk(answer, out var usage) ? usage : null);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RelayResult> RelayStreamAsync(RequestContext context, HttpContent content, CancellationTokenSource exchange)
    {
        var head = context.Response.BeginHead(200, -1);
        head.Line("Content-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"u8);
        context.Response.EndHead(ref head);
        var stream = _streams.Get();
        try
        {
            stream.Begin(MessageIds.New(), context.Upstream.ClientModel ?? "", context.Upstream.InputTokensEstimate, context.Response.Body);
            context.Response.Body.Commit();
            var result = await BodyRelay.RelayAsync(context, content, isEventStream: true, stream, ends: null, _readTimeout, exchange, _time).ConfigureAwait(false);
            return result with { ChunksRepaired = stream.ChunksRepaired, BytesRemoved = stream.BytesRemoved, Usage = stream.Usage };
        }
        finally
        {
            _streams.Return(stream);
        }
    }

    private sealed class StreamPolicy(StreamRepairOptions? repair, TimeProvider time) : PooledObjectPolicy<MessagesEventStream>
    {
        public override MessagesEventStream Create() => new(repair is null ? null : new StreamRepairer(repair, time), time);

        public override bool Return(MessagesEventStream obj)
        {
            obj.Recycle();
            return true;
        }
    }
}
