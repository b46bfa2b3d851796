using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using QwenFastProxy.Auth;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;
using QwenFastProxy.Resilience;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Upstream;

/// <summary>
/// Sends one request upstream — credentials, identity headers, one timeout for the whole exchange — and
/// hands the response to <see cref="ResponseRelay"/> once its headers have arrived. Before that, each attempt
/// asks the circuit breaker (an open circuit answers 503 <c>circuit_open</c> with no upstream call), and
/// transient failures (connect, reset, 500/502/503/504, 429 throttling) are retried with backoff within the
/// exchange's timeout; what is left becomes an OpenAI-shaped 502/504 answer, or the last upstream 5xx/429 passed
/// through. Nothing is retried once the relay has started. An upstream refusal of the token (401, a 403 that is
/// not about quota, or Qwen's "invalid access token" wording in a 400) gets one renewed credential and one more
/// attempt. Refusals whose cause the upstream's words hide (<see cref="PlanErrorExplanations"/>) are answered with
/// the upstream's status and an explanation. The body is in memory. A model request's first attempt reuses the client
/// connection's message from its last exchange (exchanges on a connection never overlap); retries get fresh ones.
/// </summary>
internal sealed class UpstreamForwarder
{
    private static readonly Version Http11 = new(1, 1);

    // Error bodies worth reading for Qwen's token wording are small; larger ones are not auth errors.
    private const long MaxInspectedErrorBytes = 16 * 1024;


    private readonly HttpMessageInvoker _client;
    private readonly IUpstreamCredentials _credentials;
    private readonly string _baseUrl;
    private readonly Uri _chatCompletionsUri;
    private readonly UpstreamTimeouts _timeouts;
    private readonly ResponseRelay _relay;
    private readonly UpstreamResilience _resilience;
    private readonly UpstreamIdentity _identity;

    /// <summary>Creates a forwarder; <paramref name="baseUrl"/> (normalised, ending in <c>/v1</c>) is used for credentials that name no base of their own.</summary>
    /// <param name="client">The shared upstream pool.</param>
    /// <param name="credentials">Upstream credentials.</param>
    /// <param name="baseUrl">Default API base.</param>
    /// <param name="timeouts">The upstream timeouts.</param>
    /// <param name="resilience">Circuit breaker and retries; one attempt and no breaker when null.</param>
    /// <param name="relay">How responses go back to clients (with or without stream repair); a plain relay when null.</param>
    /// <param name="identity">The User-Agent the upstream sees; the Qwen Code client's when null.</param>
    public UpstreamForwarder(HttpMessageInvoker client, IUpstreamCredentials credentials, string baseUrl, UpstreamTimeouts timeouts, UpstreamResilience? resilience = null, ResponseRelay? relay = null, UpstreamIdentity? identity = null)
    {
        _identity = identity ?? UpstreamIdentity.For(new ProxyOptions(), baseUrl);
        _resilience = resilience ?? UpstreamResilience.None;
        ArgumentNullException.ThrowIfNull(baseUrl);
        _client = client;
        _credentials = credentials;
        _baseUrl = baseUrl.TrimEnd('/');
        _chatCompletionsUri = new Uri(_baseUrl + "/chat/completions");
        _timeouts = timeouts;
        _relay = relay ?? new ResponseRelay(timeouts.Read);
    }

    /// <summary>The configured upstream API base, e.g. <c>https://portal.qwen.ai/v1</c>; OAuth credentials may name another (their <c>resource_url</c>).</summary>
    public string BaseUrl => _baseUrl;

    /// <summary>Forwards a chat completion whose (possibly rewritten) body is <paramref name="body"/>.</summary>
    public ValueTask ForwardChatAsync(RequestContext context, ReadOnlyMemory<byte> body) =>
        SendAndRelayAsync(context, new Outgoing(HttpMethod.Post, PathSuffix: null, body, HasBody: true), context.Upstream.Streaming ? _timeouts.Streaming : _timeouts.Request);

    /// <summary>
    /// Forwards a Messages API request, as it is but for the model, to an Anthropic-compatible endpoint
    /// (<paramref name="messagesUri"/>, ending in <c>/v1/messages</c>), with the client's <c>anthropic-*</c> headers.
    /// </summary>
    public ValueTask ForwardMessagesAsync(RequestContext context, ReadOnlyMemory<byte> body, Uri messagesUri) =>
        SendAndRelayAsync(context, new Outgoing(HttpMethod.Post, PathSuffix: null, body, HasBody: true, messagesUri), context.Upstream.Streaming ? _timeouts.Streaming : _timeouts.Request);

    /// <summary>Forwards any other <c>/v1/...</c> request as it is (method, path, query, body).</summary>
    public ValueTask ForwardAsync(RequestContext context)
    {
        var incoming = context.Request;
        var suffix = Encoding.ASCII.GetString(incoming.Target[3..]); // the target starts with "/v1"
        bool hasBody = !incoming.Body.IsEmpty || incoming.Method is HttpMethodKind.Post or HttpMethodKind.Put or HttpMethodKind.Patch;
        return SendAndRelayAsync(context, new Outgoing(ToHttpMethod(incoming), suffix, incoming.Body, hasBody), _timeouts.Request);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAndRelayAsync(RequestContext context, Outgoing outgoing, TimeSpan timeout)
    {
        // 1. One token for the whole exchange, retries and their waits included: the client leaving or the
        //    overall timeout cancels it.
        var exchange = context.ExchangeTimeout.Start(timeout, context.Aborted);

        // 2. Attempts until one brings a response head worth relaying; otherwise the proxy has answered itself
        //    (or nobody is left to answer).
        var attempt = await SendAsync(context, outgoing, exchange, timeout).ConfigureAwait(false);
        if (attempt.Response is null)
        {
            return;
        }

        // 3. Head and body back to the client, as they arrive. From here on nothing is retried, so a stream, which
        //    can last minutes, lets go of the request bodies the upstream has for good.
        if (context.Upstream.Streaming)
        {
            context.ReleaseSentBodies();
        }
        await RelayAsync(context, attempt, exchange).ConfigureAwait(false);
    }

    /// <summary>
    /// Credentials, then attempts: each asks the breaker, sends a fresh message over the in-memory body and
    /// classifies what came back; transient failures are retried while nothing has reached the client, a refused
    /// token is renewed once. Returns the attempt whose response is to be relayed, or one without a response when
    /// the proxy answered itself.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Attempt> SendAsync(RequestContext context, Outgoing outgoing, CancellationTokenSource exchange, TimeSpan timeout)
    {
        var started = _resilience.Time.GetTimestamp();
        var circuit = _resilience.Circuit;
        var attempt = default(Attempt);
        try
        {
            // Credentials last, so that a refresh that happened while the body was read is used. A memory read
            // unless the token has expired and a refresh must finish first.
            var credential = await _credentials.GetAsync(exchange.Token).ConfigureAwait(false);
            if (credential.Problem is { } problem)
            {
                context.Response.WriteError(problem);
                return default;
            }

            var retries = 0;
            var tokenRenewed = false;
            while (true)
            {
                if (circuit is not null && !circuit.TryAcquire(out attempt.Lease))
                {
                    WriteCircuitOpen(context, circuit); // fail fast: no upstream call
                    return default;
                }

                attempt.Request = Build(context, outgoing, credential, firstAttempt: retries == 0 && !tokenRenewed);
                _resilience.Metrics?.UpstreamAttempt();
                try
                {
                    attempt.Response = await _client.SendAsync(attempt.Request, exchange.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or TimeoutException)
                {
                    attempt.DisposeMessages();
                    var failure = UpstreamFailureClassifier.Classify(ex, responseStarted: false, context.Aborted, exchange.Token);
                    circuit?.Record(attempt.Lease, failure.ForCircuit());
                    if (failure.IsRetryable() && await WaitForRetryAsync(retries, TimeSpan.Zero, started, timeout, exchange.Token).ConfigureAwait(false))
                    {
                        retries++;
                        _resilience.Metrics?.UpstreamRetry();
                        continue;
                    }
                    WriteFailure(context, exchange.IsCancellationRequested ? UpstreamOutcome.TimeoutBeforeHeaders : failure, ex, timeout);
                    return default;
                }

                // The head is in. Small error bodies are buffered to classify and explain them (billing or throttling,
                // a 400's token wording, a key on the wrong host); the relay then reads the buffered copy, so the
                // client still gets every byte of an answer the proxy does not explain.
                var status = (int)attempt.Response.StatusCode;
                var errorBody = UpstreamErrorRules.Covers(status)
                    ? await ReadErrorBodyAsync(attempt.Response, exchange.Token).ConfigureAwait(false)
                    : default;
                var outcome = UpstreamFailureClassifier.Classify(status, errorBody.Span);

                // A refused token gets one renewal and one more attempt (not counted as a retry).
                if (!tokenRenewed && IsTokenRefusal(status, outcome, errorBody.Span))
                {
                    circuit?.RecordSuccess(attempt.Lease); // the upstream answered
                    tokenRenewed = true;
                    var renewed = await _credentials.RenewAsync(credential, exchange.Token).ConfigureAwait(false);
                    if (renewed is not null && renewed.Problem is null)
                    {
                        credential = renewed;
                        attempt.DisposeMessages();
                        continue;
                    }
                    // Nothing to renew (API key) or the renewal failed: the refusal goes to the client.
                    return AnswerOrRelay(context, attempt, status, errorBody.Span);
                }

                attempt.DeferVerdict = circuit is not null && RecordHead(circuit, attempt.Lease, outcome);

                // 5xx and throttling are retried while nothing has reached the client; once retries are spent the
                // last answer goes to the client unchanged.
                if (outcome.IsRetryable() && !context.Response.HasStarted)
                {
                    var retryAfter = RetryAfterHeader.From(attempt.Response.Headers.RetryAfter, _resilience.Time.GetUtcNow());
                    if (_resilience.Retry.TryGetDelay(retries, retryAfter, Remaining(started, timeout), out var delay))
                    {
                        attempt.DisposeMessages();
                        if (!await RetryPolicy.WaitAsync(delay, _resilience.Time, exchange.Token).ConfigureAwait(false))
                        {
                            WriteFailure(context, UpstreamOutcome.TimeoutBeforeHeaders, exception: null, timeout);
                            return default;
                        }
                        retries++;
                        _resilience.Metrics?.UpstreamRetry();
                        continue;
                    }
                }
                return AnswerOrRelay(context, attempt, status, errorBody.Span);
            }
        }
        catch (OperationCanceledException) when (context.Aborted.IsCancellationRequested)
        {
            attempt.Abandon(circuit);
            return default; // nobody is left to answer
        }
        catch (OperationCanceledException)
        {
            attempt.Abandon(circuit);
            context.Response.WriteError(ProxyErrors.Timeout(timeout));
            return default;
        }
        catch (HttpRequestException ex)
        {
            attempt.Abandon(circuit);
            context.Response.WriteError(ProxyErrors.UnreachableBecause(ex));
            return default;
        }
    }

    /// <summary>
    /// The last word on an attempt whose head is in and whose retries are spent: an upstream refusal whose own words
    /// mislead (a key on the wrong plan's host, billing worded as a quota…) is answered by the proxy with the
    /// upstream's status and code and the likely cause, and the response is disposed unread; any other is relayed.
    /// The breaker has heard about the head already.
    /// </summary>
    private Attempt AnswerOrRelay(RequestContext context, Attempt attempt, int status, ReadOnlySpan<byte> errorBody)
    {
        if (errorBody.IsEmpty
            || context.Response.HasStarted
            || !PlanErrorExplanations.TryExplain(attempt.Request!.RequestUri!.Host, _credentials.AuthType != QwenOAuthProtocol.AuthType, status, errorBody, context.Upstream.Model, out var error))
        {
            return attempt;
        }
        attempt.DisposeMessages();
        context.Response.WriteError(error);
        return default;
    }

    /// <summary>
    /// Tells the breaker about a response head, or returns true to have it wait for the body. The breaker hears at
    /// once about every head but a healthy one of an ordinary request, so a half-open trial never waits for a whole
    /// stream; a healthy head waits for its body instead, so a stream the upstream breaks later counts as the
    /// failure it is, rather than as a success followed by a failure.
    /// </summary>
    private static bool RecordHead(CircuitBreaker circuit, in CircuitLease lease, UpstreamOutcome outcome)
    {
        if (outcome == UpstreamOutcome.Success && !lease.IsTrial)
        {
            return true;
        }
        circuit.Record(lease, outcome.ForCircuit());
        return false;
    }

    /// <summary>Relays the attempt's response, then gives the breaker its deferred verdict from how the body ended.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RelayAsync(RequestContext context, Attempt attempt, CancellationTokenSource exchange)
    {
        var result = new RelayResult(RelayStatus.ClientGone, 0); // what an unexpected failure of the relay counts as
        try
        {
            using (attempt.Response)
            {
                context.Upstream.Status = (int)attempt.Response!.StatusCode;
                result = await _relay.RelayAsync(context, attempt.Response, exchange).ConfigureAwait(false);
            }
            context.Upstream.ChunksRepaired = result.ChunksRepaired;
            context.Upstream.BytesRemoved = result.BytesRemoved;
            context.Upstream.Usage = result.Usage;
        }
        finally
        {
            KeepForReuse(context, attempt.Request!);
            if (attempt.DeferVerdict)
            {
                // A body the upstream broke (reset, silence beyond READ_TIMEOUT, garbage) counts against it; the
                // client leaving or the exchange's own deadline says nothing about the upstream.
                var verdict = result.Status == RelayStatus.Completed ? CircuitOutcome.Success
                    : result.UpstreamFailed ? CircuitOutcome.Failure
                    : CircuitOutcome.Abandoned;
                _resilience.Circuit!.Record(attempt.Lease, verdict);
            }
        }
    }

    private TimeSpan Remaining(long started, TimeSpan timeout) => timeout - _resilience.Time.GetElapsedTime(started);

    /// <summary>True after waiting out the backoff of retry number <paramref name="retries"/>; false when none is left, it would pass the deadline, or the wait was cancelled.</summary>
    private async ValueTask<bool> WaitForRetryAsync(int retries, TimeSpan retryAfter, long started, TimeSpan timeout, CancellationToken cancellationToken) =>
        _resilience.Retry.TryGetDelay(retries, retryAfter, Remaining(started, timeout), out var delay)
        && await RetryPolicy.WaitAsync(delay, _resilience.Time, cancellationToken).ConfigureAwait(false);

    /// <summary>The proxy's own answer for an attempt that produced nothing to relay (nothing when the client left).</summary>
    private static void WriteFailure(RequestContext context, UpstreamOutcome outcome, Exception? exception, TimeSpan timeout)
    {
        if (context.Aborted.IsCancellationRequested || outcome == UpstreamOutcome.ClientGone)
        {
            return;
        }
        context.Response.WriteError(outcome.TryGetProxyError(exception, timeout, out var error) ? error : ProxyErrors.InvalidResponse);
    }

    /// <summary>503 <c>circuit_open</c> with a <c>Retry-After</c> of the time until the breaker lets a trial through.</summary>
    private static void WriteCircuitOpen(RequestContext context, CircuitBreaker circuit)
    {
        Span<byte> line = stackalloc byte[32];
        "Retry-After: "u8.CopyTo(line);
        var length = "Retry-After: "u8.Length;
        Utf8Formatter.TryFormat(RetryAfterHeader.ToDeltaSeconds(circuit.RetryAfter), line[length..], out var digits);
        length += digits;
        "\r\n"u8.CopyTo(line[length..]);
        length += 2;
        context.Response.WriteError(ProxyErrors.CircuitOpen, line[..length]);
    }

    /// <summary>
    /// The message for one attempt. A model request's (chat or Messages) first attempt takes the connection's spare
    /// message when there is one and refills it; everything else gets a fresh one. The body is shared, not copied.
    /// </summary>
    private HttpRequestMessage Build(RequestContext context, in Outgoing outgoing, UpstreamCredential credential, bool firstAttempt)
    {
        HttpRequestMessage request;
        if (outgoing.PathSuffix is null)
        {
            request = (firstAttempt ? TakeSpare(context) : null) ?? NewModelRequest();
            request.RequestUri = outgoing.Target ?? credential.ChatCompletionsUri ?? _chatCompletionsUri;
            ((BodyContent)request.Content!).Set(outgoing.Body);
            request.Headers.TryAddWithoutValidation("Accept", context.Upstream.Streaming ? "text/event-stream" : "application/json");
            if (outgoing.Target is not null)
            {
                UpstreamHeaders.CopyAnthropicHeaders(context.Request.Headers, request);
            }
        }
        else
        {
            request = new HttpRequestMessage(outgoing.Method, new Uri((credential.BaseUrl ?? _baseUrl) + outgoing.PathSuffix)) { Version = Http11 };
            if (outgoing.HasBody)
            {
                request.Content = new ReadOnlyMemoryContent(outgoing.Body);
            }

            UpstreamHeaders.CopyClientHeaders(context.Request.Headers, request);
        }

        if (_resilience.ForwardSimulatorHeaders)
        {
            UpstreamHeaders.CopySimulatorHeaders(context.Request.Headers, request);
        }
        UpstreamHeaders.AddIdentity(request, credential.Authorization, _credentials.AuthType, _identity.UserAgentFor(context.Request.Headers));
        return request;
    }

    /// <summary>A POST with a JSON body that can be refilled for the connection's next model request.</summary>
    private static HttpRequestMessage NewModelRequest()
    {
        var content = new BodyContent();
        UpstreamHeaders.SetJsonContentType(content);
        return new HttpRequestMessage { Method = HttpMethod.Post, Version = Http11, Content = content };
    }

    /// <summary>The connection's spare message with its own headers cleared (the content keeps its type), or null.</summary>
    private static HttpRequestMessage? TakeSpare(RequestContext context)
    {
        var spare = context.SpareUpstreamMessage;
        if (spare is null)
        {
            return null;
        }
        context.SpareUpstreamMessage = null;
        spare.Headers.Clear();
        return spare;
    }

    /// <summary>
    /// After a relay: a model request's message becomes the connection's spare (the handler sent its body in full
    /// before the answer's head came back, and is done with it); any other is disposed.
    /// </summary>
    private static void KeepForReuse(RequestContext context, HttpRequestMessage request)
    {
        if (request.Content is BodyContent content && context.SpareUpstreamMessage is null)
        {
            content.Set(default); // hold no body while idle
            context.SpareUpstreamMessage = request;
            return;
        }
        request.Dispose();
    }

    /// <summary>
    /// 401 refuses the token, and so does a 403 that is not about quota. A 400 does when its body carries Qwen's
    /// token wording.
    /// </summary>
    private static bool IsTokenRefusal(int status, UpstreamOutcome outcome, ReadOnlySpan<byte> errorBody)
    {
        switch (status)
        {
            case 401:
                return true;
            case 403:
                return outcome == UpstreamOutcome.AuthRejected;
            case 400:
                return UpstreamErrorRules.SaysTokenRefused(errorBody);
            default:
                return false;
        }
    }

    /// <summary>
    /// Buffers a small error body (known length up to <see cref="MaxInspectedErrorBytes"/>, not a stream) and returns
    /// a copy; the relay then reads the buffered content. Empty when the body is larger, of unknown length, or broke
    /// (the relay meets the same failure and reports it).
    /// </summary>
    private static async ValueTask<ReadOnlyMemory<byte>> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var content = response.Content;
        if (content.Headers.ContentLength is not (> 0 and <= MaxInspectedErrorBytes)
            || (content.Headers.NonValidated.TryGetValues("Content-Type", out var contentType) && UpstreamHeaders.IsEventStream(contentType.ToString())))
        {
            return default;
        }

        try
        {
            await content.LoadIntoBufferAsync(MaxInspectedErrorBytes, cancellationToken).ConfigureAwait(false);
            return await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return default;
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

    /// <summary>What to send, independent of the credential: kept so a retry can build the message again.</summary>
    /// <param name="Method">HTTP method (pass-through) or POST (chat).</param>
    /// <param name="PathSuffix">Path and query after <c>/v1</c> for pass-through; null for chat completions.</param>
    /// <param name="Body">The request body, in memory for the whole exchange.</param>
    /// <param name="HasBody">Whether to send content at all.</param>
    /// <param name="Target">An absolute address (a Messages API endpoint), instead of one under the API base.</param>
    private readonly record struct Outgoing(HttpMethod Method, string? PathSuffix, ReadOnlyMemory<byte> Body, bool HasBody, Uri? Target = null);

    /// <summary>One attempt's message, response and breaker lease.</summary>
    private struct Attempt
    {
        public HttpRequestMessage? Request;
        public HttpResponseMessage? Response;
        public CircuitLease Lease;

        /// <summary>The breaker waits for the body's end to hear how this attempt went.</summary>
        public bool DeferVerdict;

        public void DisposeMessages()
        {
            Response?.Dispose();
            Response = null;
            Request?.Dispose();
            Request = null;
        }

        /// <summary>The exchange ended before this attempt was relayed: its messages go, and its lease is given up.</summary>
        public void Abandon(CircuitBreaker? circuit)
        {
            DisposeMessages();
            circuit?.Abandon(Lease);
        }
    }
}
