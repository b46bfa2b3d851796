using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using QwenFastProxy.Http;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Streaming;

/// <summary>
/// Relays an upstream event stream frame by frame through a <see cref="StreamRepairer"/>: reads the
/// upstream through a <see cref="PipeReader"/>, hands each complete frame to the repairer, which writes
/// into the client's output buffer, and flushes after each read. While a chunk is held the wait for the
/// next read is bounded by the hold's deadline, so a held frame never waits on a silent upstream; the
/// upstream read itself is never cancelled for that (cancelling it would tear the connection down).
/// </summary>
internal static class SseRelay
{
    // Zero-byte reads: while a stream waits for its next chunk (a second or more, for a slow model) it holds no
    // buffer; one is rented only when the upstream has bytes to give.
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask RelayAsync(
        RequestContext context,
        Stream upstream,
        StreamRepairer repairer,
        TimeSpan readTimeout,
        CancellationTokenSource exchange,
        TimeProvider time)
    {
        var response = context.Response;
        var body = response.Body;
        var reader = PipeReader.Create(upstream, ReaderOptions);
        // The silence between reads, and the exchange's own end (its deadline, the client leaving).
        var silence = context.ReadTimeout.Start(readTimeout);
        using var followExchange = ReusableTimeout.Follow(silence, exchange.Token);
        try
        {
            while (true)
            {
                silence.CancelAfter(readTimeout);
                var pending = reader.ReadAsync(silence.Token);
                ReadResult result;
                if (!pending.IsCompleted && repairer.HoldDeadline is { } deadline)
                {
                    result = await ReadWithHoldBoundAsync(reader, pending, deadline, repairer, response, time, context.Aborted).ConfigureAwait(false);
                }
                else
                {
                    result = await pending.ConfigureAwait(false);
                }

                var buffer = result.Buffer;
                var ended = false;
                while (!ended && SseFrameParser.TryReadFrame(ref buffer, result.IsCompleted, out var frame))
                {
                    switch (repairer.Process(frame, body))
                    {
                        case FrameResult.Done:
                            ended = true;
                            break;
                        case FrameResult.TooManyErrors:
                            repairer.Complete(body, "error limit reached");
                            SseErrorFrame.Write(body, StreamErrors.TooManyMalformed, closeOpenFrame: false);
                            ended = true;
                            break;
                    }
                }
                if (!ended && result.IsCompleted)
                {
                    // The upstream closed without [DONE]: relay any unterminated remainder as it was.
                    if (!buffer.IsEmpty)
                    {
                        repairer.Process(buffer, body);
                        buffer = buffer.Slice(buffer.End);
                    }
                    repairer.Complete(body, "upstream ended");
                    ended = true;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (ended)
                {
                    body.Commit();
                    response.EndBody();
                    return;
                }
                body.Commit();
                if (!await response.FlushAsync(context.Aborted).ConfigureAwait(false))
                {
                    return; // the client left; the caller disposes the upstream response
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            // The client leaving needs no answer; an upstream failure ends the stream with an error frame.
            if (UpstreamErrors.ForBrokenBody(ex, readTimeout, context.Aborted, exchange.Token) is { } error)
            {
                Fail(context, repairer, error);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    // Waits for the read, but sends the held frames when their deadline passes first. The read is
    // always awaited before returning, even when the client leaves meanwhile, so no task is abandoned.
    private static async ValueTask<ReadResult> ReadWithHoldBoundAsync(
        PipeReader reader, ValueTask<ReadResult> pending, long deadline, StreamRepairer repairer, ResponseOutput response, TimeProvider time, CancellationToken aborted)
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
            repairer.Expire(response.Body);
            response.Body.Commit();
            await response.FlushAsync(aborted).ConfigureAwait(false);
        }
        catch
        {
            reader.CancelPendingRead();
            await read.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        return await read.ConfigureAwait(false);
    }

    private static void Fail(RequestContext context, StreamRepairer repairer, in HttpError error)
    {
        var body = context.Response.Body;
        repairer.Complete(body, "upstream failed");
        SseErrorFrame.Write(body, error, closeOpenFrame: false);
        body.Commit();
        context.Response.NoteError(error);
        context.Response.EndBody();
    }
}
