using System.Net.Http;
using QwenFastProxy.Http;

namespace QwenFastProxy.Upstream;

/// <summary>The errors the proxy reports for upstream trouble, each with its status and code.</summary>
internal static class UpstreamErrors
{
    public static readonly HttpError Interrupted = new(502, "The upstream connection failed in the middle of the response.", "upstream_interrupted");
    public static readonly HttpError StreamTimeout = new(504, "The upstream response took longer than the configured timeout.", "upstream_timeout");

    public static HttpError Timeout(TimeSpan timeout) =>
        new(504, $"The upstream did not answer within {timeout.TotalSeconds:0} s.", "upstream_timeout");

    public static HttpError ReadTimeout(TimeSpan timeout) =>
        new(504, $"The upstream sent nothing for {timeout.TotalSeconds:0} s (READ_TIMEOUT_SECONDS).", "upstream_timeout");

    /// <summary>
    /// What the client is told about a failed read of a response body: nothing (null) when the client itself left;
    /// a timeout when a token fired (the exchange's overall one, or the silence between reads); otherwise a broken
    /// connection.
    /// </summary>
    public static HttpError? ForBrokenBody(Exception exception, TimeSpan readTimeout, CancellationToken clientGone, CancellationToken exchange)
    {
        if (clientGone.IsCancellationRequested)
        {
            return null;
        }
        return exception is OperationCanceledException
            ? exchange.IsCancellationRequested ? StreamTimeout : ReadTimeout(readTimeout)
            : Interrupted;
    }

    public static HttpError Unreachable(HttpRequestException ex) =>
        new(502, $"The upstream could not be reached ({ex.HttpRequestError}): {ex.Message}", "upstream_unreachable");
}
