using System.Globalization;

namespace QwenFastProxy.Http;

/// <summary>
/// Every answer the proxy makes itself about an exchange, in one list: status, OpenAI error code and
/// message. Constants where the message is fixed, so failing fast allocates nothing.
/// </summary>
/// <remarks>
/// Whether the connection stays open is the caller's decision, and the rule is short. Every error here
/// is about a request that was read whole, so the next request's start is known and the connection is
/// kept, with two exceptions: <see cref="Internal"/> (the connection's state is unknown; the connection
/// loop closes it) and a body that breaks after its head went out (<see cref="Interrupted"/> on a body
/// that is not an event stream: the body is left unterminated and the connection closed, which is how
/// HTTP/1.1 tells a client the body is incomplete). Framing refusals are not here: the parser names
/// them (<see cref="Http1Parser"/>, <see cref="ChunkedBodyReader"/>, <see cref="LineReader"/>) and the
/// connection loop closes after every one, because where the next request would start is unknown.
/// </remarks>
internal static class ProxyErrors
{
    // ---------------------------------------------------------------- the request

    /// <summary>401: PROXY_API_KEYS is set and the request carries none of them.</summary>
    public static readonly HttpError MissingClientKey = new(401,
        "Missing or invalid API key for this proxy: send Authorization: Bearer <key> or x-api-key: <key> with one of PROXY_API_KEYS.", "invalid_api_key");

    /// <summary>404: a path the proxy does not serve.</summary>
    public static readonly HttpError NotFound = new(404,
        "No such endpoint. The proxy serves /v1/chat/completions, /v1/models and other /v1/... paths.", "not_found");

    /// <summary>405: a method the endpoint does not take (answered with an <c>Allow</c> header).</summary>
    public static readonly HttpError MethodNotAllowed = new(405, "Method not allowed on this endpoint.", "method_not_allowed");

    /// <summary>400: a chat body that is not one JSON object.</summary>
    public static HttpError InvalidBody(string detail) => new(400, detail, "invalid_request_body");

    /// <summary>A query parameter the endpoint does not take, or a value it cannot read.</summary>
    public static HttpError InvalidQuery(string detail) => new(400, detail, "invalid_query");

    // ---------------------------------------------------------------- upstream credentials

    /// <summary>503: the access token expired and its refresh failed a moment ago.</summary>
    public static HttpError TokenRefreshFailed(string failure) =>
        new(503, $"Refreshing the Qwen access token failed ({failure}); the proxy retries shortly.", "token_refresh_failed");

    /// <summary>401: the refresh token was refused; only a new login helps.</summary>
    public static HttpError LoginRequired(string message) =>
        new(401, $"The proxy's Qwen login is no longer valid: {message}, then retry.", "login_required");

    // ---------------------------------------------------------------- before the upstream answered

    /// <summary>503: the circuit is open; no upstream call was made (answered with a <c>Retry-After</c>).</summary>
    public static readonly HttpError CircuitOpen = new(503,
        "The upstream is failing, so the proxy is not sending it requests for a while (circuit breaker open). Retry after the time in Retry-After.", "circuit_open");

    /// <summary>502: no connection could be made.</summary>
    public static readonly HttpError Unreachable = new(502, "The upstream could not be reached.", "upstream_unreachable");

    /// <summary>502: no connection could be made, with the cause (refused, DNS, TLS).</summary>
    public static HttpError UnreachableBecause(HttpRequestException ex) =>
        new(502, $"The upstream could not be reached ({ex.HttpRequestError}): {ex.Message}", "upstream_unreachable");

    /// <summary>502: the connection broke before the upstream answered.</summary>
    public static readonly HttpError Reset = new(502, "The upstream closed the connection before answering.", "upstream_unreachable");

    /// <summary>502: the upstream's answer was not valid HTTP.</summary>
    public static readonly HttpError InvalidResponse = new(502, "The upstream sent an invalid response.", "upstream_invalid_response");

    /// <summary>504: no answer within the request's timeout (REQUEST_TIMEOUT_SECONDS or STREAMING_TIMEOUT_SECONDS).</summary>
    public static HttpError Timeout(TimeSpan timeout) =>
        new(504, string.Create(CultureInfo.InvariantCulture, $"The upstream did not answer within {timeout.TotalSeconds:0} s."), "upstream_timeout");

    // ---------------------------------------------------------------- upstream answers the proxy explains

    /// <summary>
    /// The upstream's status and code, with the proxy's reading of the cause before the upstream's own message
    /// (<see cref="Resilience.PlanErrorExplanations"/>: a key on the wrong plan's host, billing, a model name's case…).
    /// </summary>
    public static HttpError Explained(int status, string explanation, string upstreamMessage, string code) =>
        new(status, upstreamMessage.Length == 0 ? explanation : $"{explanation} Upstream said: {upstreamMessage}", code);

    // ---------------------------------------------------------------- after the head went out

    /// <summary>502: the upstream connection failed in the middle of the body.</summary>
    public static readonly HttpError Interrupted = new(502, "The upstream connection failed in the middle of the response.", "upstream_interrupted");

    /// <summary>504: the whole exchange outlasted its timeout while the body was being relayed.</summary>
    public static readonly HttpError BodyTimeout = new(504, "The upstream response took longer than the configured timeout.", "upstream_timeout");

    /// <summary>504: the upstream fell silent mid-body for longer than READ_TIMEOUT_SECONDS.</summary>
    public static HttpError Silence(TimeSpan readTimeout) =>
        new(504, string.Create(CultureInfo.InvariantCulture, $"The upstream sent nothing for {readTimeout.TotalSeconds:0} s (READ_TIMEOUT_SECONDS)."), "upstream_timeout");

    /// <summary>502: more malformed stream chunks than STREAMING_MAX_ERRORS.</summary>
    public static readonly HttpError MalformedStream = new(502,
        "The upstream stream sent more malformed chunks than STREAMING_MAX_ERRORS allows; the stream was ended.", "upstream_malformed_stream");

    // ---------------------------------------------------------------- the proxy itself

    /// <summary>500: a handler failed unexpectedly; the connection closes.</summary>
    public static readonly HttpError Internal = new(500, "Internal proxy error.", "internal_error");
}
