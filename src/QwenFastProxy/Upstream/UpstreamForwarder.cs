using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using QwenFastProxy.Auth;
using QwenFastProxy.Http;
using QwenFastProxy.Resilience;

namespace QwenFastProxy.Upstream;

/// <summary>
/// Sends one request upstream — credentials, identity headers, one timeout for the whole exchange — and
/// hands the response to <see cref="ResponseRelay"/> once its headers have arrived. Before that, each attempt
/// asks the circuit breaker (an open circuit answers 503 <c>circuit_open</c> with no upstream call), and
/// transient failures (connect, reset, 500/502/503/504, 429 throttling) are retried with backoff within the
/// exchange's timeout; what is left becomes an OpenAI-shaped 502/504 answer, or the last upstream 5xx/429 passed
/// through. Nothing is retried once the relay has started. An upstream refusal of the token (401, a 403 that is
/// not about quota, or Qwen's "invalid access token" wording in a 400) gets one renewed credential and one more
/// attempt. The body is in memory, and each attempt builds its own <see cref="HttpRequestMessage"/>, which can be
/// sent only once.
/// </summary>
public sealed class UpstreamForwarder
{
    private static readonly Version Http11 = new(1, 1);

    // Error bodies worth reading for Qwen's token wording are small; larger ones are not auth errors.
    private const long MaxInspectedErrorBytes = 16 * 1024;

    // The official client's markers of a refused token in an error message (QWEN-PROTOCOL.md), lower case.
    private static readonly string[] TokenRefusalMarkers =
        ["unauthorized", "forbidden", "invalid api key", "invalid access token", "token expired"];

    private readonly HttpMessageInvoker _client;
    private readonly IUpstreamCredentials _credentials;
    private readonly string _baseUrl;
    private readonly Uri _chatCompletionsUri;
    private readonly UpstreamTimeouts _timeouts;
    private readonly ResponseRelay _relay;
    private readonly UpstreamResilience _resilience;

    /// <summary>Creates a forwarder; <paramref name="baseUrl"/> (normalised, ending in <c>/v1</c>) is used for credentials that name no base of their own.</summary>
    /// <param name="client">The shared upstream pool.</param>
    /// <param name="credentials">Upstream credentials.</param>
    /// <param name="baseUrl">Default API base.</param>
    /// <param name="timeouts">The contract's timeouts.</param>
    /// <param name="resilience">Circuit breaker and retries; one attempt and no breaker when null.</param>
    /// <param name="relay">How responses go back to clients (with or without stream repair); a plain relay when null.</param>
    public UpstreamForwarder(HttpMessageInvoker client, IUpstreamCredentials credentials, string baseUrl, UpstreamTimeouts timeouts, UpstreamResilience? resilience = null, ResponseRelay? relay = null)
    {
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
        SendAndRelayAsync(context, new Outgoing(HttpMethod.Post, PathSuffix: null, body, HasBody: true), context.Streaming ? _timeouts.Streaming : _timeouts.Request);

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
        var time = _resilience.Time;
        var started = time.GetTimestamp();
        var circuit = _resilience.Circuit;

        HttpRequestMessage? request = null;
        HttpResponseMessage? response = null;
        var lease = default(CircuitLease);
        var deferVerdict = false;
        try
        {
            // 2. Credentials last, so that a refresh that happened while the body was read is used. A memory read
            //    unless the token has expired and a refresh must finish first.
            var credential = await _credentials.GetAsync(exchange.Token).ConfigureAwait(false);
            if (credential.Problem is { } problem)
            {
                context.Response.WriteError(problem);
                return;
            }

            // 3. Attempts, each with a fresh message over the same in-memory body. Nothing has reached the client
            //    until the relay starts, so every attempt before it may be retried.
            var retries = 0;
            var tokenRenewed = false;
            while (true)
            {
                if (circuit is not null && !circuit.TryAcquire(out lease))
                {
                    WriteCircuitOpen(context, circuit); // fail fast: no upstream call
                    return;
                }

                request = Build(context, outgoing, credential);
                _resilience.Metrics?.UpstreamAttempt();
                try
                {
                    response = await _client.SendAsync(request, exchange.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or TimeoutException)
                {
                    request.Dispose();
                    request = null;
                    var failure = UpstreamFailureClassifier.Classify(ex, responseStarted: false, context.Aborted, exchange.Token);
                    circuit?.Record(lease, failure.ForCircuit());
                    if (failure.IsRetryable() && await WaitForRetryAsync(retries, TimeSpan.Zero, started, timeout, exchange.Token).ConfigureAwait(false))
                    {
                        retries++;
                        _resilience.Metrics?.UpstreamRetry();
                        continue;
                    }
                    WriteFailure(context, exchange.IsCancellationRequested ? UpstreamOutcome.TimeoutBeforeHeaders : failure, ex, timeout);
                    return;
                }

                // The head is in. Small error bodies are buffered to classify them (quota or throttling, token
                // wording); the relay then reads the buffered copy, so the client still gets every byte.
                var status = (int)response.StatusCode;
                var errorBody = status is 400 or 403 or 429
                    ? await ReadErrorBodyAsync(response, exchange.Token).ConfigureAwait(false)
                    : default;
                var outcome = UpstreamFailureClassifier.Classify(status, errorBody.Span);

                // A refused token gets one renewal and one more attempt (not counted as a retry).
                if (!tokenRenewed && IsTokenRefusal(status, outcome, errorBody.Span))
                {
                    circuit?.RecordSuccess(lease); // the upstream answered
                    tokenRenewed = true;
                    var renewed = await _credentials.RenewAsync(credential, exchange.Token).ConfigureAwait(false);
                    if (renewed is not null && renewed.Problem is null)
                    {
                        credential = renewed;
                        DisposeAttempt(ref request, ref response);
                        continue;
                    }
                    break; // nothing to renew (API key) or the renewal failed: the refusal goes to the client
                }

                // The breaker hears about the head at once, so a half-open trial never waits for a whole stream.
                // A healthy head of an ordinary request waits for its body instead: a stream the upstream breaks
                // later is then counted as the failure it is, rather than as a success followed by a failure.
                if (circuit is not null)
                {
                    if (outcome == UpstreamOutcome.Success && !lease.IsTrial)
                    {
                        deferVerdict = true;
                    }
                    else
                    {
                        circuit.Record(lease, outcome.ForCircuit());
                    }
                }

                // 5xx and throttling are retried while nothing has reached the client; once retries are spent the
                // last answer goes to the client unchanged.
                if (outcome.IsRetryable() && !context.Response.HasStarted)
                {
                    var retryAfter = RetryAfterHeader.From(response.Headers.RetryAfter, time.GetUtcNow());
                    if (_resilience.Retry.TryGetDelay(retries, retryAfter, Remaining(started, timeout), out var delay))
                    {
                        DisposeAttempt(ref request, ref response);
                        if (!await RetryPolicy.WaitAsync(delay, time, exchange.Token).ConfigureAwait(false))
                        {
                            WriteFailure(context, UpstreamOutcome.TimeoutBeforeHeaders, exception: null, timeout);
                            return;
                        }
                        retries++;
                        _resilience.Metrics?.UpstreamRetry();
                        continue;
                    }
                }
                break;
            }
        }
        catch (OperationCanceledException) when (context.Aborted.IsCancellationRequested)
        {
            DisposeAttempt(ref request, ref response);
            circuit?.Abandon(lease);
            return; // nobody is left to answer
        }
        catch (OperationCanceledException)
        {
            DisposeAttempt(ref request, ref response);
            circuit?.Abandon(lease);
            context.Response.WriteError(UpstreamErrors.Timeout(timeout));
            return;
        }
        catch (HttpRequestException ex)
        {
            DisposeAttempt(ref request, ref response);
            circuit?.Abandon(lease);
            context.Response.WriteError(UpstreamErrors.Unreachable(ex));
            return;
        }

        // 4. Head and body back to the client, as they arrive. From here on nothing is retried.
        var verdict = CircuitOutcome.Abandoned;
        try
        {
            using (request)
            using (response)
            {
                context.UpstreamStatus = (int)response!.StatusCode;
                await _relay.RelayAsync(context, response, exchange).ConfigureAwait(false);
            }
            // A body the upstream broke (reset, silence beyond READ_TIMEOUT, garbage) counts against it; the
            // client leaving or the exchange's own deadline says nothing about the upstream.
            verdict = exchange.IsCancellationRequested ? CircuitOutcome.Abandoned
                : context.Response.Error is { Status: >= 500 } ? CircuitOutcome.Failure
                : CircuitOutcome.Success;
        }
        finally
        {
            if (deferVerdict)
            {
                circuit!.Record(lease, verdict);
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
        if (outcome == UpstreamOutcome.TimeoutBeforeHeaders)
        {
            context.Response.WriteError(UpstreamErrors.Timeout(timeout));
        }
        else if (outcome == UpstreamOutcome.ConnectFailure && exception is HttpRequestException http)
        {
            context.Response.WriteError(UpstreamErrors.Unreachable(http)); // names the cause (refused, DNS, TLS)
        }
        else if (outcome.TryGetProxyError(out var error))
        {
            context.Response.WriteError(error);
        }
        else
        {
            context.Response.WriteError(ResilienceErrors.InvalidResponse);
        }
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
        context.Response.WriteError(ResilienceErrors.CircuitOpen, line[..length]);
    }

    private static void DisposeAttempt(ref HttpRequestMessage? request, ref HttpResponseMessage? response)
    {
        response?.Dispose();
        response = null;
        request?.Dispose();
        request = null;
    }

    /// <summary>A fresh message for one attempt: the body is shared, the message is not.</summary>
    private HttpRequestMessage Build(RequestContext context, in Outgoing outgoing, UpstreamCredential credential)
    {
        HttpRequestMessage request;
        if (outgoing.PathSuffix is null)
        {
            request = new HttpRequestMessage(HttpMethod.Post, credential.ChatCompletionsUri ?? _chatCompletionsUri) { Version = Http11 };
            request.Content = new ReadOnlyMemoryContent(outgoing.Body);
            UpstreamHeaders.SetJsonContentType(request.Content);
            request.Headers.TryAddWithoutValidation("Accept", context.Streaming ? "text/event-stream" : "application/json");
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
        UpstreamHeaders.AddIdentity(request, credential.Authorization, _credentials.AuthType);
        return request;
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
            case 400 when !errorBody.IsEmpty:
                var text = Encoding.UTF8.GetString(errorBody);
                foreach (var marker in TokenRefusalMarkers)
                {
                    if (text.Contains(marker, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
                return false;
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
    private readonly record struct Outgoing(HttpMethod Method, string? PathSuffix, ReadOnlyMemory<byte> Body, bool HasBody);
}
