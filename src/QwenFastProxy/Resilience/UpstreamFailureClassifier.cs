using System.Net.Sockets;

namespace QwenFastProxy.Resilience;

/// <summary>
/// Sorts every upstream outcome into an <see cref="UpstreamOutcome"/>: exceptions from sending or relaying,
/// and HTTP answers by status plus, for 400, 403 and 429, the code and message of the error body
/// (<see cref="UpstreamErrorRules"/>). Allocation-free.
/// </summary>
internal static class UpstreamFailureClassifier
{
    /// <summary>Classifies a failure that surfaced as an exception.</summary>
    /// <param name="exception">What the send or the relay threw (HttpRequestException, IOException, OperationCanceledException…).</param>
    /// <param name="responseStarted">True once any response byte has been written towards the client.</param>
    /// <param name="clientAborted">Fires when the client's connection closes.</param>
    /// <param name="exchange">The exchange's own token (the request timeout, linked to <paramref name="clientAborted"/>).</param>
    public static UpstreamOutcome Classify(Exception exception, bool responseStarted, CancellationToken clientAborted, CancellationToken exchange)
    {
        ArgumentNullException.ThrowIfNull(exception);

        // Order matters: the client leaving cancels the exchange token too, and an upstream that fails while
        // the client leaves is the client's story; once bytes are out nothing may be retried whatever the cause.
        if (clientAborted.IsCancellationRequested)
        {
            return UpstreamOutcome.ClientGone;
        }
        if (responseStarted)
        {
            return UpstreamOutcome.AfterFirstByte;
        }
        if (exchange.IsCancellationRequested)
        {
            return UpstreamOutcome.TimeoutBeforeHeaders; // whatever was thrown, our deadline caused it
        }

        return exception switch
        {
            HttpRequestException http => FromHttpRequestError(http),
            // SocketsHttpHandler reports its ConnectTimeout as a cancellation wrapping a TimeoutException,
            // from a token that is not ours.
            OperationCanceledException { InnerException: TimeoutException } => UpstreamOutcome.ConnectFailure,
            OperationCanceledException or TimeoutException => UpstreamOutcome.TimeoutBeforeHeaders,
            IOException => UpstreamOutcome.ResetBeforeHeaders,
            _ => UpstreamOutcome.InvalidResponse,
        };
    }

    /// <summary>Classifies an HTTP answer.</summary>
    /// <param name="statusCode">The upstream's status.</param>
    /// <param name="bodyPrefix">
    /// The body, or its first bytes (Qwen's and DashScope's error objects are ~200 bytes, code and message
    /// first); only read for 400, 403 and 429 (400 since billing codes such as Arrearage were found to arrive
    /// with it), so others may pass empty.
    /// </param>
    public static UpstreamOutcome Classify(int statusCode, ReadOnlySpan<byte> bodyPrefix) => statusCode switch
    {
        < 100 => UpstreamOutcome.InvalidResponse,
        < 400 => UpstreamOutcome.Success,
        401 => UpstreamOutcome.AuthRejected,
        403 => FromBody(statusCode, bodyPrefix, UpstreamOutcome.AuthRejected),
        429 => FromBody(statusCode, bodyPrefix, UpstreamOutcome.RateLimited),
        400 => FromBody(statusCode, bodyPrefix, UpstreamOutcome.ClientError),
        < 500 => UpstreamOutcome.ClientError,
        // The transient four. 501 and 505 say "never", and the rest (507, 508, 510, 511) are definite answers too.
        500 or 502 or 503 or 504 => UpstreamOutcome.ServerError,
        < 600 => UpstreamOutcome.ServerErrorFinal,
        _ => UpstreamOutcome.InvalidResponse,
    };

    private static UpstreamOutcome FromBody(int statusCode, ReadOnlySpan<byte> bodyPrefix, UpstreamOutcome byStatus)
    {
        if (bodyPrefix.IsEmpty)
        {
            return byStatus;
        }
        Span<byte> scratch = stackalloc byte[3 * UpstreamErrorBody.ScratchBytesPerField];
        var error = UpstreamErrorBody.Read(bodyPrefix, scratch);
        return UpstreamErrorRules.TryMatch(statusCode, error, out var outcome, out _) ? outcome : byStatus;
    }

    private static UpstreamOutcome FromHttpRequestError(HttpRequestException exception) => exception.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError
            or HttpRequestError.ConnectionError
            or HttpRequestError.SecureConnectionError
            or HttpRequestError.ProxyTunnelError => UpstreamOutcome.ConnectFailure,
        HttpRequestError.ResponseEnded or HttpRequestError.HttpProtocolError => UpstreamOutcome.ResetBeforeHeaders,
        // Garbage, an oversized head, or a configuration the upstream cannot meet: retrying will not change it.
        HttpRequestError.InvalidResponse
            or HttpRequestError.ConfigurationLimitExceeded
            or HttpRequestError.VersionNegotiationError
            or HttpRequestError.UserAuthenticationError => UpstreamOutcome.InvalidResponse,
        _ => FromInnerException(exception),
    };

    // HttpRequestError.Unknown: a write or read on an established connection failed (typically "connection reset
    // by peer"), unless the socket error says no connection was ever made.
    private static UpstreamOutcome FromInnerException(HttpRequestException exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode is SocketError.ConnectionRefused
                    or SocketError.HostNotFound
                    or SocketError.HostUnreachable
                    or SocketError.NetworkUnreachable
                    or SocketError.TryAgain
                    or SocketError.NoData
                    ? UpstreamOutcome.ConnectFailure
                    : UpstreamOutcome.ResetBeforeHeaders;
            }
        }
        return UpstreamOutcome.ResetBeforeHeaders;
    }
}
