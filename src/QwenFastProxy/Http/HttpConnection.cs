using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace QwenFastProxy.Http;

/// <summary>
/// One client connection: reads requests from the transport's <see cref="PipeReader"/> in a loop
/// (keep-alive, pipelining), hands each to the request handler and writes the answers in order.
/// Timeouts do not use tokens per read: one timer per connection cancels the pending read, and the
/// loop checks which deadline passed. A deadline is armed only before a wait: a head or body that is
/// already buffered is taken without touching the timer.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns the connection's lifetime and disposes everything in its finally block.")]
internal sealed class HttpConnection
{
    private static readonly HttpError IncompleteRequest = new(400, "Connection closed before the request was complete.");
    private static readonly HttpError HeadersTimedOut = new(408, "Request headers were not received in time.", "request_timeout");
    private static readonly HttpError BodyTimedOut = new(408, "Request body was not received in time.", "request_timeout");
    private static readonly HttpError BodyTooSlow = new(408, "Request body arrived below the minimum data rate.", "request_timeout");

    // Bytes and time spent discarding input after a refusal, so the client reads the error instead of
    // a reset caused by closing a socket with unread data.
    private const int DrainBytesLimit = 64 * 1024;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly ConnectionContext _connection;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly IRequestHandler _handler;
    private readonly IAccessLog? _accessLog;
    private readonly HttpLimits _limits;
    private readonly HttpRequest _request;
    private readonly ResponseOutput _response;
    private readonly RequestContext _context;
    private readonly Http1Parser _parser;
    private readonly ChunkedBodyReader _chunked;
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _clientGone = new();

    private Task<ReadResult>? _lookahead;
    private long _deadline = long.MaxValue;
    private volatile bool _timerFired;
    private volatile bool _closeRequested;

    public HttpConnection(ConnectionContext connection, IRequestHandler handler, IAccessLog? accessLog, HttpLimits limits, TimeProvider time)
    {
        _connection = connection;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        _handler = handler;
        _accessLog = accessLog;
        _limits = limits;
        _request = new HttpRequest(limits.MaxRequestHeaderBytes);
        _response = new ResponseOutput(_output);
        _context = new RequestContext(_request, _response) { RemoteEndPoint = connection.RemoteEndPoint as IPEndPoint };
        _parser = new Http1Parser(limits.MaxRequestHeaderBytes, limits.MaxRequestBodyBytes);
        _chunked = new ChunkedBodyReader(limits.MaxRequestHeaderBytes, limits.MaxRequestBodyBytes);
        _time = time;
        _timer = time.CreateTimer(static state => ((HttpConnection)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private enum Outcome : byte { Ready, Rejected, Close }

    public async Task RunAsync()
    {
        var lifetime = _connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        using var closeRegistration = lifetime?.ConnectionClosedRequested.Register(static s => ((HttpConnection)s!).OnCloseRequested(), this);
        var first = true;
        var held = 0;
        try
        {
            while (!_closeRequested)
            {
                var outcome = await ReadRequestAsync(first).ConfigureAwait(false);
                first = false;
                if (outcome == Outcome.Close)
                {
                    break;
                }
                if (outcome == Outcome.Rejected)
                {
                    _accessLog?.RequestCompleted(_context);
                    await _response.FlushAsync(default).ConfigureAwait(false);
                    await DrainAsync().ConfigureAwait(false);
                    break;
                }

                await DispatchAsync().ConfigureAwait(false);
                _accessLog?.RequestCompleted(_context);
                if (!_response.KeepAlive || _closeRequested || _clientGone.IsCancellationRequested)
                {
                    break;
                }
                // A response is held back while the next request is already there (one write for several
                // answers), but only up to the pipelining depth: then it is flushed, and a client that
                // pipelines without reading is paced by the output's backpressure.
                if (!HasPipelinedInput() || ++held >= _limits.MaxHeldPipelinedResponses)
                {
                    held = 0;
                    if (!await _response.FlushAsync(default).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
            await _output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client reset or the server aborted the connection: nothing left to answer.
        }
        finally
        {
            _timer.Dispose();
            _request.Content.Dispose();
            await SettleLookaheadAsync().ConfigureAwait(false);
            _context.Release();
            await _input.CompleteAsync().ConfigureAwait(false);
            await _output.CompleteAsync().ConfigureAwait(false);
            _clientGone.Dispose();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ReadRequestAsync(bool first)
    {
        _request.Reset();
        _parser.Reset();
        _chunked.Reset();
        _response.Reset(keepAlive: true, http10: false);
        _context.Reset(_clientGone.Token);

        var outcome = await ReadHeadAsync(first).ConfigureAwait(false);
        if (outcome != Outcome.Ready)
        {
            return outcome;
        }
        _context.Reset(_clientGone.Token);
        _response.Reset(_request.KeepAlive && !_closeRequested, _request.IsHttp10);
        if (!_request.HasBody)
        {
            return Outcome.Ready;
        }
        return await ReadBodyAsync().ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ReadHeadAsync(bool first)
    {
        // The first request gets the headers timeout from the moment the connection opened; later ones
        // get the keep-alive timeout until their first byte, then the headers timeout.
        var started = false;
        Arm(first ? _limits.EffectiveHeadersTimeout : _limits.EffectiveKeepAliveTimeout);
        try
        {
            while (true)
            {
                var result = await ReadNextAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                var reader = new SequenceReader<byte>(buffer);
                var status = buffer.IsEmpty ? ParseStatus.Incomplete : _parser.ParseHead(ref reader, _request);
                if (status == ParseStatus.Complete)
                {
                    _input.AdvanceTo(reader.Position);
                    return Outcome.Ready;
                }
                if (!started && !buffer.IsEmpty)
                {
                    // The rest of the head is awaited: from here the headers timeout applies (a head that
                    // came whole never needed it).
                    started = true;
                    if (!first)
                    {
                        Arm(_limits.EffectiveHeadersTimeout);
                    }
                }
                _input.AdvanceTo(reader.Position, buffer.End);
                if (status == ParseStatus.Error)
                {
                    return Reject(_parser.Error);
                }
                if (result.IsCompleted)
                {
                    return started ? Reject(IncompleteRequest) : Outcome.Close;
                }
                if (result.IsCanceled)
                {
                    if (DeadlinePassed())
                    {
                        return started ? Reject(HeadersTimedOut) : Outcome.Close;
                    }
                    if (_closeRequested && !started)
                    {
                        return Outcome.Close;
                    }
                }
                await FlushHeldResponseAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            Disarm();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ReadBodyAsync()
    {
        // The head was consumed exactly, so TryRead sees only bytes that arrived after it; usually the whole
        // body came with the head and no wait (and no deadline) is needed.
        var bodyArrived = false;
        if (_input.TryRead(out var arrived))
        {
            bodyArrived = !arrived.Buffer.IsEmpty;
            if (!bodyArrived)
            {
                _input.AdvanceTo(arrived.Buffer.Start);
            }
        }
        if (!bodyArrived)
        {
            if (_request.ExpectContinue && !_request.IsHttp10)
            {
                // RFC 9110 §10.1.1: the client waits for this before sending the body. Only send it
                // when the body has not started arriving already.
                _output.Write("HTTP/1.1 100 Continue\r\n\r\n"u8);
            }
            await FlushHeldResponseAsync().ConfigureAwait(false);
        }

        var remaining = _request.IsChunked ? -1 : _request.ContentLength;
        if (remaining > 0)
        {
            _request.Content.Reserve(remaining);
        }
        var bodyStarted = _time.GetTimestamp();
        long received = 0;
        try
        {
            while (true)
            {
                ReadResult result;
                if (bodyArrived)
                {
                    result = arrived;
                    bodyArrived = false;
                }
                else
                {
                    ArmBody(bodyStarted, received);
                    result = await _input.ReadAsync().ConfigureAwait(false);
                }
                var buffer = result.Buffer;
                if (_request.IsChunked)
                {
                    var reader = new SequenceReader<byte>(buffer);
                    var status = _chunked.Read(ref reader, _request.Content);
                    received += reader.Consumed;
                    if (status == ParseStatus.Complete)
                    {
                        _input.AdvanceTo(reader.Position);
                        return Outcome.Ready;
                    }
                    _input.AdvanceTo(reader.Position, buffer.End);
                    if (status == ParseStatus.Error)
                    {
                        return Reject(_chunked.Error);
                    }
                }
                else
                {
                    var take = Math.Min(remaining, buffer.Length);
                    _request.Content.Append(buffer.Slice(0, take));
                    remaining -= take;
                    received += take;
                    var consumed = buffer.GetPosition(take);
                    if (remaining == 0)
                    {
                        _input.AdvanceTo(consumed);
                        return Outcome.Ready;
                    }
                    _input.AdvanceTo(consumed, buffer.End);
                }
                if (result.IsCompleted)
                {
                    return Reject(IncompleteRequest);
                }
                if (result.IsCanceled && DeadlinePassed())
                {
                    return Reject(BelowMinimumRate(bodyStarted, received) ? BodyTooSlow : BodyTimedOut);
                }
                await FlushHeldResponseAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            Disarm();
        }
    }

    /// <summary>
    /// Before waiting for more of a request, sends what is buffered: a response held back because the
    /// next request had started arriving (pipelining) must not wait until that request is complete,
    /// since the client may be sending it in pieces. A no-op when nothing is pending.
    /// </summary>
    private async ValueTask FlushHeldResponseAsync()
    {
        if (!_output.CanGetUnflushedBytes || _output.UnflushedBytes > 0)
        {
            await _output.FlushAsync().ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DispatchAsync()
    {
        StartLookahead();
        try
        {
            await _handler.HandleAsync(_context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_clientGone.IsCancellationRequested)
        {
            _response.ForceClose();
        }
        catch (Exception) when (!_response.HasStarted)
        {
            // ForceClose first: it only acts before the head is written, and the 500 must say
            // "Connection: close" because the loop ends after it.
            _response.ForceClose();
            _response.WriteError(ProxyErrors.Internal);
        }
        catch (Exception)
        {
            // The head is out: the only honest signal left is to cut the connection.
            _connection.Abort();
            throw new OperationCanceledException();
        }
        finally
        {
            _context.ReturnRentedBody(); // a rewritten body the handler adopted, unless a stream freed it already
        }
    }

    private Outcome Reject(in HttpError error)
    {
        // The head or body could not be read to its end, so where the next request starts is unknown: the
        // connection closes. Errors a handler writes about a request read whole do not come through here.
        _response.Reset(keepAlive: false, http10: _request.IsHttp10);
        _response.WriteError(error);
        return Outcome.Rejected;
    }

    /// <summary>
    /// While the handler waits on the upstream, a read stays pending on the client's side: if it ends
    /// (FIN or reset), the client is gone and the upstream call is cancelled. Bytes it returns instead
    /// are the next pipelined request and are parsed after this response.
    /// </summary>
    private void StartLookahead()
    {
        _lookahead = WatchAsync();
    }

    private async Task<ReadResult> WatchAsync()
    {
        try
        {
            var result = await _input.ReadAsync().ConfigureAwait(false);
            if (result.IsCompleted && result.Buffer.IsEmpty)
            {
                _clientGone.Cancel();
            }
            return result;
        }
        catch
        {
            _clientGone.Cancel();
            throw;
        }
    }

    private ValueTask<ReadResult> ReadNextAsync()
    {
        if (_lookahead is { } pending)
        {
            _lookahead = null;
            return new ValueTask<ReadResult>(pending);
        }
        return _input.ReadAsync();
    }

    private bool HasPipelinedInput() =>
        _lookahead is { IsCompletedSuccessfully: true } pending && !pending.Result.Buffer.IsEmpty;

    private async Task SettleLookaheadAsync()
    {
        if (_lookahead is { } pending)
        {
            _lookahead = null;
            _input.CancelPendingRead();
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
            }
        }
    }

    private async Task DrainAsync()
    {
        // Half-close first so the client sees the end of the response, then read and discard what it
        // still sends, within bounds.
        await _output.CompleteAsync().ConfigureAwait(false);
        Arm(DrainTimeout);
        try
        {
            long drained = 0;
            while (drained < DrainBytesLimit)
            {
                var result = await ReadNextAsync().ConfigureAwait(false);
                drained += result.Buffer.Length;
                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled && DeadlinePassed())
                {
                    break;
                }
            }
        }
        finally
        {
            Disarm();
        }
    }

    /// <summary>
    /// Arms the body deadline: the longest silence (the headers timeout), or sooner the moment the bytes
    /// received so far fall below the minimum data rate (Kestrel's MinRequestBodyDataRate: an average
    /// since the body started, checked once the grace period is over).
    /// </summary>
    private void ArmBody(long bodyStarted, long received)
    {
        var timeout = _limits.EffectiveHeadersTimeout;
        var rate = _limits.MinRequestBodyBytesPerSecond;
        if (rate > 0)
        {
            // In seconds as doubles: a tiny rate makes received / rate larger than a TimeSpan can hold.
            var allowed = Math.Max(_limits.EffectiveMinRequestBodyDataRateGracePeriod.TotalSeconds, received / rate);
            var left = allowed - _time.GetElapsedTime(bodyStarted).TotalSeconds;
            if (left < timeout.TotalSeconds)
            {
                timeout = left > 0.001 ? TimeSpan.FromSeconds(left) : TimeSpan.FromMilliseconds(1);
            }
        }
        Arm(timeout);
    }

    private bool BelowMinimumRate(long bodyStarted, long received)
    {
        var rate = _limits.MinRequestBodyBytesPerSecond;
        var elapsed = _time.GetElapsedTime(bodyStarted);
        return rate > 0 && elapsed >= _limits.EffectiveMinRequestBodyDataRateGracePeriod && received < rate * elapsed.TotalSeconds;
    }

    private void Arm(TimeSpan timeout)
    {
        _timerFired = false;
        Volatile.Write(ref _deadline, _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency));
        _timer.Change(timeout, Timeout.InfiniteTimeSpan);
    }

    private void Disarm()
    {
        Volatile.Write(ref _deadline, long.MaxValue);
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    // A cancelled read is a timeout only if a deadline is armed and has passed: the timer may fire just
    // as a phase ends, leaving a stray cancellation for the next read.
    private bool DeadlinePassed()
    {
        if (!_timerFired)
        {
            return false;
        }
        var deadline = Volatile.Read(ref _deadline);
        var now = _time.GetTimestamp();
        if (now >= deadline)
        {
            return true;
        }
        if (deadline != long.MaxValue)
        {
            // The timer fired before the deadline (system timers run on a coarser clock than the
            // timestamp and can fire a few milliseconds early) or for an earlier phase: wait again for
            // what is left, or this deadline would never be enforced.
            _timerFired = false;
            var remaining = TimeSpan.FromSeconds((double)(deadline - now) / _time.TimestampFrequency);
            _timer.Change(remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, Timeout.InfiniteTimeSpan);
        }
        return false;
    }

    private void OnTimer()
    {
        _timerFired = true;
        _input.CancelPendingRead();
    }

    private void OnCloseRequested()
    {
        _closeRequested = true;
        _input.CancelPendingRead();
    }
}
