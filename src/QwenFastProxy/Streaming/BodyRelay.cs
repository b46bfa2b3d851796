using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using QwenFastProxy.Buffers;
using QwenFastProxy.Http;

namespace QwenFastProxy.Streaming;

/// <summary>
/// The one copy loop from an upstream body to the client, for plain bodies and repaired event streams
/// alike. Each pass waits for upstream bytes (bounded by READ_TIMEOUT_SECONDS of silence and the
/// exchange's own deadline), moves them into the client's output buffer — read straight into it when
/// plain, frame by frame through an <see cref="IEventStreamRewriter"/> (the stutter repair, a translation) otherwise — and flushes, so events
/// reach the client as they arrive. It never throws for the ways a relay ends: it ends the body in a way
/// the client can see (an SSE error frame, or an unterminated body and a closed connection) and returns
/// how it ended.
/// </summary>
internal static class BodyRelay
{
    // Zero-byte reads: while a stream waits for its next chunk (a second or more, for a slow model) it holds no
    // buffer; one is rented only when the upstream has bytes to give.
    private static readonly StreamPipeReaderOptions FrameReaderOptions = new(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true);

    /// <param name="context">The exchange; its response head is already written.</param>
    /// <param name="content">The upstream body.</param>
    /// <param name="isEventStream">The body is server-sent events.</param>
    /// <param name="rewriter">Rewrites the events frame by frame; null relays the bytes untouched.</param>
    /// <param name="ends">Keeps the first and last bytes of the upstream's body as it came (where its usage is); null keeps none.</param>
    /// <param name="readTimeout">READ_TIMEOUT_SECONDS.</param>
    /// <param name="exchange">Cancelled when the client leaves or the exchange's overall timeout passes.</param>
    /// <param name="time">Clock of the repair's hold bound.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<RelayResult> RelayAsync(
        RequestContext context, HttpContent content, bool isEventStream, IEventStreamRewriter? rewriter, BodyEnds? ends, TimeSpan readTimeout, CancellationTokenSource exchange, TimeProvider time)
    {
        var output = context.Response;
        // The silence between reads, and the exchange's own end (its deadline, the client leaving).
        var silence = context.ReadTimeout.Start(readTimeout);
        using var followExchange = ReusableTimeout.Follow(silence, exchange.Token);
        PipeReader? frames = null;
        try
        {
            var upstream = await content.ReadAsStreamAsync(exchange.Token).ConfigureAwait(false);
            frames = rewriter is null ? null : PipeReader.Create(upstream, FrameReaderOptions);
            while (true)
            {
                silence.CancelAfter(readTimeout);
                var end = frames is null
                    ? await CopyOnceAsync(upstream, output, isEventStream, ends, silence.Token).ConfigureAwait(false)
                    : await RewriteOnceAsync(frames, rewriter!, output, ends, time, silence.Token, context.Aborted).ConfigureAwait(false);
                if (end == BodyEnd.Malformed)
                {
                    output.NoteError(ProxyErrors.MalformedStream); // the rewriter ended the stream with it
                }
                if (end != BodyEnd.NotYet)
                {
                    output.EndBody();
                    return new RelayResult(end == BodyEnd.Malformed ? RelayStatus.UpstreamMalformed : RelayStatus.Completed, output.BodyBytes);
                }
                if (!await output.FlushAsync(context.Aborted).ConfigureAwait(false))
                {
                    return new RelayResult(RelayStatus.ClientGone, output.BodyBytes); // the caller disposes the upstream response
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            var status = context.Aborted.IsCancellationRequested ? RelayStatus.ClientGone
                : ex is not OperationCanceledException ? RelayStatus.UpstreamBroke
                : exchange.IsCancellationRequested ? RelayStatus.TimedOut
                : RelayStatus.UpstreamSilent;
            switch (status)
            {
                case RelayStatus.TimedOut:
                    Fail(output, rewriter, isEventStream, ProxyErrors.BodyTimeout);
                    break;
                case RelayStatus.UpstreamSilent:
                    Fail(output, rewriter, isEventStream, ProxyErrors.Silence(readTimeout));
                    break;
                case RelayStatus.UpstreamBroke:
                    Fail(output, rewriter, isEventStream, ProxyErrors.Interrupted);
                    break;
            }
            return new RelayResult(status, output.BodyBytes);
        }
        finally
        {
            if (frames is not null)
            {
                await frames.CompleteAsync().ConfigureAwait(false);
            }
        }
    }

    private enum BodyEnd : byte
    {
        NotYet,
        Done,
        Malformed,
    }

    /// <summary>One upstream read straight into the client's output buffer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<BodyEnd> CopyOnceAsync(Stream upstream, ResponseOutput output, bool isEventStream, BodyEnds? ends, CancellationToken silence)
    {
        if (isEventStream)
        {
            // Wait for the next event without holding an output block: a slow stream idles most of the time.
            await upstream.ReadAsync(Memory<byte>.Empty, silence).ConfigureAwait(false);
        }
        var memory = output.GetBodyMemory(ResponseOutput.PooledBodyBytes);
        var read = await upstream.ReadAsync(memory, silence).ConfigureAwait(false);
        if (read == 0)
        {
            return BodyEnd.Done;
        }
        ends?.Append(memory.Span[..read]);
        output.CommitBody(read);
        return BodyEnd.NotYet;
    }

    /// <summary>One upstream read, its complete frames through the rewriter into the client's output buffer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<BodyEnd> RewriteOnceAsync(
        PipeReader frames, IEventStreamRewriter rewriter, ResponseOutput output, BodyEnds? ends, TimeProvider time, CancellationToken silence, CancellationToken aborted)
    {
        var body = output.Body;
        var pending = frames.ReadAsync(silence);
        var result = !pending.IsCompleted && rewriter.Deadline is not null
            ? await ReadWithDeadlinesAsync(frames, pending, rewriter, output, time, aborted).ConfigureAwait(false)
            : await pending.ConfigureAwait(false);

        var buffer = result.Buffer;
        var end = BodyEnd.NotYet;
        while (end == BodyEnd.NotYet && SseFrameParser.TryReadFrame(ref buffer, result.IsCompleted, out var frame))
        {
            if (ends is not null)
            {
                foreach (var segment in frame)
                {
                    ends.Append(segment.Span); // the upstream's frames as they came, before any rewriting
                }
            }
            switch (rewriter.Process(frame, body))
            {
                case FrameResult.Done:
                    end = BodyEnd.Done;
                    break;
                case FrameResult.TooManyErrors:
                    rewriter.Fail(body, ProxyErrors.MalformedStream);
                    end = BodyEnd.Malformed;
                    break;
            }
        }
        if (end == BodyEnd.NotYet && result.IsCompleted)
        {
            // The upstream closed without [DONE]: relay any unterminated remainder as it was.
            if (!buffer.IsEmpty)
            {
                rewriter.Process(buffer, body);
                buffer = buffer.Slice(buffer.End);
            }
            rewriter.Complete(body, "upstream ended");
            end = BodyEnd.Done;
        }
        frames.AdvanceTo(buffer.Start, buffer.End);
        body.Commit();
        return end;
    }

    // Waits for the read, but lets the rewriter write what falls due meanwhile (held frames past their bound, a
    // keep-alive), as often as its deadline comes round. The read is always awaited before returning, even when the
    // client leaves meanwhile, so no task is abandoned; the upstream read itself is never cancelled for a deadline
    // (that would tear the connection down). Bounded: the read ends within READ_TIMEOUT_SECONDS, and a deadline that
    // does not move on after its expiry ends the waiting.
    private static async ValueTask<ReadResult> ReadWithDeadlinesAsync(
        PipeReader frames, ValueTask<ReadResult> pending, IEventStreamRewriter rewriter, ResponseOutput output, TimeProvider time, CancellationToken aborted)
    {
        var read = pending.AsTask();
        while (rewriter.Deadline is { } deadline)
        {
            var wait = TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);
            if (wait > TimeSpan.Zero)
            {
                using var cancelDelay = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                var winner = await Task.WhenAny(read, Task.Delay(wait, time, cancelDelay.Token)).ConfigureAwait(false);
                await cancelDelay.CancelAsync().ConfigureAwait(false);
                if (winner == read)
                {
                    return await read.ConfigureAwait(false);
                }
            }
            try
            {
                rewriter.Expire(output.Body);
                output.Body.Commit();
                await output.FlushAsync(aborted).ConfigureAwait(false);
            }
            catch
            {
                frames.CancelPendingRead();
                await read.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
                throw;
            }
            if (rewriter.Deadline is { } next && next <= deadline)
            {
                break;
            }
        }
        return await read.ConfigureAwait(false);
    }

    // Ends a body the upstream broke so the client can tell: an error event closes an event stream, in the
    // client's API (a plain relay may have stopped inside a frame, so it is ended first; a rewriter only ever
    // writes whole ones), any other body is left unterminated and the connection closed.
    private static void Fail(ResponseOutput output, IEventStreamRewriter? rewriter, bool isEventStream, in HttpError error)
    {
        output.NoteError(error);
        if (!isEventStream)
        {
            output.Abandon();
            return;
        }
        if (rewriter is not null)
        {
            rewriter.Fail(output.Body, error);
        }
        else if (output.AnthropicErrors)
        {
            output.Body.Write("\n\n"u8);
            AnthropicErrorBody.WriteEvent(output.Body, error);
        }
        else
        {
            SseErrorFrame.Write(output.Body, error, closeOpenFrame: true);
        }
        output.Body.Commit();
        output.EndBody();
    }
}
