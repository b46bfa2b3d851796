using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using QwenFastProxy.Buffers;
using QwenFastProxy.Http;

namespace QwenFastProxy.Streaming;

/// <summary>
/// The one copy loop from an upstream body to the client, for plain bodies and repaired event streams
/// alike. Each pass waits for upstream bytes (bounded by READ_TIMEOUT_SECONDS of silence and the
/// exchange's own deadline), moves them into the client's output buffer — read straight into it when
/// plain, frame by frame through a <see cref="StreamRepairer"/> when repaired — and flushes, so events
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
    /// <param name="repairer">Repairs the events frame by frame; null relays the bytes untouched.</param>
    /// <param name="tail">Keeps the last bytes of an untouched body (where a non-streamed answer's usage is); null keeps none.</param>
    /// <param name="readTimeout">READ_TIMEOUT_SECONDS.</param>
    /// <param name="exchange">Cancelled when the client leaves or the exchange's overall timeout passes.</param>
    /// <param name="time">Clock of the repair's hold bound.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<RelayResult> RelayAsync(
        RequestContext context, HttpContent content, bool isEventStream, StreamRepairer? repairer, BodyTail? tail, TimeSpan readTimeout, CancellationTokenSource exchange, TimeProvider time)
    {
        var output = context.Response;
        // The silence between reads, and the exchange's own end (its deadline, the client leaving).
        var silence = context.ReadTimeout.Start(readTimeout);
        using var followExchange = ReusableTimeout.Follow(silence, exchange.Token);
        PipeReader? frames = null;
        try
        {
            var upstream = await content.ReadAsStreamAsync(exchange.Token).ConfigureAwait(false);
            frames = repairer is null ? null : PipeReader.Create(upstream, FrameReaderOptions);
            while (true)
            {
                silence.CancelAfter(readTimeout);
                var end = frames is null
                    ? await CopyOnceAsync(upstream, output, isEventStream, tail, silence.Token).ConfigureAwait(false)
                    : await RepairOnceAsync(frames, repairer!, output, time, silence.Token, context.Aborted).ConfigureAwait(false);
                if (end == BodyEnd.Malformed)
                {
                    SseErrorFrame.Write(output.Body, ProxyErrors.MalformedStream, closeOpenFrame: false);
                    output.Body.Commit();
                    output.NoteError(ProxyErrors.MalformedStream);
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
                    Fail(output, repairer, isEventStream, ProxyErrors.BodyTimeout);
                    break;
                case RelayStatus.UpstreamSilent:
                    Fail(output, repairer, isEventStream, ProxyErrors.Silence(readTimeout));
                    break;
                case RelayStatus.UpstreamBroke:
                    Fail(output, repairer, isEventStream, ProxyErrors.Interrupted);
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
    private static async ValueTask<BodyEnd> CopyOnceAsync(Stream upstream, ResponseOutput output, bool isEventStream, BodyTail? tail, CancellationToken silence)
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
        tail?.Append(memory.Span[..read]);
        output.CommitBody(read);
        return BodyEnd.NotYet;
    }

    /// <summary>One upstream read, its complete frames through the repairer into the client's output buffer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<BodyEnd> RepairOnceAsync(
        PipeReader frames, StreamRepairer repairer, ResponseOutput output, TimeProvider time, CancellationToken silence, CancellationToken aborted)
    {
        var body = output.Body;
        var pending = frames.ReadAsync(silence);
        var result = !pending.IsCompleted && repairer.HoldDeadline is { } deadline
            ? await ReadWithHoldBoundAsync(frames, pending, deadline, repairer, output, time, aborted).ConfigureAwait(false)
            : await pending.ConfigureAwait(false);

        var buffer = result.Buffer;
        var end = BodyEnd.NotYet;
        while (end == BodyEnd.NotYet && SseFrameParser.TryReadFrame(ref buffer, result.IsCompleted, out var frame))
        {
            switch (repairer.Process(frame, body))
            {
                case FrameResult.Done:
                    end = BodyEnd.Done;
                    break;
                case FrameResult.TooManyErrors:
                    repairer.Complete(body, "error limit reached");
                    end = BodyEnd.Malformed;
                    break;
            }
        }
        if (end == BodyEnd.NotYet && result.IsCompleted)
        {
            // The upstream closed without [DONE]: relay any unterminated remainder as it was.
            if (!buffer.IsEmpty)
            {
                repairer.Process(buffer, body);
                buffer = buffer.Slice(buffer.End);
            }
            repairer.Complete(body, "upstream ended");
            end = BodyEnd.Done;
        }
        frames.AdvanceTo(buffer.Start, buffer.End);
        body.Commit();
        return end;
    }

    // Waits for the read, but sends the held frames when their deadline passes first. The read is
    // always awaited before returning, even when the client leaves meanwhile, so no task is abandoned;
    // the upstream read itself is never cancelled for the hold (that would tear the connection down).
    private static async ValueTask<ReadResult> ReadWithHoldBoundAsync(
        PipeReader frames, ValueTask<ReadResult> pending, long deadline, StreamRepairer repairer, ResponseOutput output, TimeProvider time, CancellationToken aborted)
    {
        var read = pending.AsTask();
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
            repairer.Expire(output.Body);
            output.Body.Commit();
            await output.FlushAsync(aborted).ConfigureAwait(false);
        }
        catch
        {
            frames.CancelPendingRead();
            await read.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        return await read.ConfigureAwait(false);
    }

    // Ends a body the upstream broke so the client can tell: an error frame closes an event stream (a plain
    // relay may have stopped inside a frame; the repair only ever writes whole ones), any other body is left
    // unterminated and the connection closed.
    private static void Fail(ResponseOutput output, StreamRepairer? repairer, bool isEventStream, in HttpError error)
    {
        output.NoteError(error);
        if (!isEventStream)
        {
            output.Abandon();
            return;
        }
        repairer?.Complete(output.Body, "upstream failed");
        SseErrorFrame.Write(output.Body, error, closeOpenFrame: repairer is null);
        output.Body.Commit();
        output.EndBody();
    }
}
