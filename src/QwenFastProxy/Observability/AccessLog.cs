using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using QwenFastProxy.Http;

namespace QwenFastProxy.Observability;

/// <summary>
/// One line per request: who, what, how big, how it went and how long it took. Nothing is formatted
/// (and no string is made) when the information level is off. Bodies, tokens and keys are never logged;
/// the query string is left out because clients put keys there too. Under the proxy's own logger factory the
/// line is formatted on the spot and batched (<see cref="AccessLineSink"/>); under any other it goes through ZLogger.
/// </summary>
internal sealed class AccessLog : IAccessLog
{
    private readonly ILogger _logger;
    private readonly AccessLineSink? _lines;
    private readonly ProxyMetrics? _metrics;
    private readonly UsageLedger? _usage;

    /// <summary>
    /// Logs under the category <c>QwenFastProxy.Access</c>, counts every exchange in <paramref name="metrics"/> and
    /// every model request in <paramref name="usage"/> when given.
    /// </summary>
    public AccessLog(ILoggerFactory loggerFactory, ProxyMetrics? metrics = null, UsageLedger? usage = null)
    {
        _logger = loggerFactory.CreateLogger(AccessLineFormat.Category);
        _lines = (loggerFactory as ProxyLoggerFactory)?.AccessLines;
        _metrics = metrics;
        _usage = usage;
    }

    // What the usage ledger counts: requests for a model answer that passed the key gate.
    private static bool IsModelRequest(RequestContext context) =>
        context.Route is RequestRoute.Chat or RequestRoute.Messages && context.Request.Method == HttpMethodKind.Post;

    /// <inheritdoc />
    public void RequestCompleted(RequestContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (response.Error is { } error)
        {
            // Failures on the upstream side deserve a warning; refusals of bad input are the client's
            // business and only interest someone debugging.
            if (error.Status >= 500 && _logger.IsEnabled(LogLevel.Warning))
            {
                _logger.ProxyFailure(MethodName(request), Encoding.ASCII.GetString(request.Path), error.Status, error.Code, error.Message);
            }
            else if (error.Status < 500 && _logger.IsEnabled(LogLevel.Debug))
            {
                _logger.RequestRefused(MethodName(request), Encoding.ASCII.GetString(request.Path), error.Status, error.Code, error.Message);
            }
        }
        if (_usage is not null && context.ClientKey is { } key && IsModelRequest(context))
        {
            _usage.Record(key, context.Upstream.Model, response.StatusCode, response.StatusCode >= 400 || response.Error is not null, context.Upstream.Usage);
        }
        var logging = _logger.IsEnabled(LogLevel.Information);
        if (!logging && _metrics is null)
        {
            return;
        }
        var now = Stopwatch.GetTimestamp();
        var duration = Stopwatch.GetElapsedTime(context.StartTimestamp, now).TotalMilliseconds;
        // A response written whole (local answers, pipelined batches) is flushed after this line: its first
        // byte leaves with the rest, so its time to first byte is its duration.
        var ttfb = response.FirstByteTimestamp != 0
            ? Stopwatch.GetElapsedTime(context.StartTimestamp, response.FirstByteTimestamp).TotalMilliseconds
            : response.HasStarted ? duration : -1;
        _metrics?.RequestCompleted(
            MetricClassifier.Route(context.Route),
            response.StatusCode,
            request.BodyLength,
            response.BodyBytes,
            ttfb < 0 ? -1 : ttfb / 1000,
            duration / 1000,
            context.Upstream.ChunksRepaired,
            context.Upstream.BytesRemoved);
        if (!logging)
        {
            return;
        }
        var entry = new AccessEntry(
            ClientIp(request.Headers, context.RemoteEndPoint, ref context.LoggedClientIp),
            MethodName(request),
            context.LoggedPath.Get(request.Path, Encoding.ASCII),
            response.StatusCode,
            context.Upstream.Status,
            context.Upstream.Model ?? "-",
            context.Upstream.Streaming,
            request.BodyLength,
            response.BodyBytes,
            Math.Round(ttfb, 2),
            Math.Round(duration, 2),
            context.Upstream.ChunksRepaired,
            context.Upstream.BytesRemoved,
            response.Error?.Code ?? "-",
            request.Headers.TryGet("User-Agent"u8, out var userAgent) ? context.LoggedUserAgent.Get(userAgent, Encoding.Latin1) : "-");
        if (_lines is not null)
        {
            _lines.Append(entry);
        }
        else
        {
            _logger.AccessLine(entry.ClientIp, entry.Method, entry.Path, entry.Status, entry.UpstreamStatus, entry.Model, entry.Streaming, entry.RequestBytes,
                entry.ResponseBytes, entry.TtfbMs, entry.DurationMs, entry.RepairedChunks, entry.RemovedBytes, entry.Error, entry.UserAgent);
        }
    }

    /// <summary>The first X-Forwarded-For entry, else X-Real-IP, else the peer address.</summary>
    private static string ClientIp(RequestHeaders headers, IPEndPoint? remote, ref RememberedString remembered)
    {
        if (headers.TryGet("X-Forwarded-For"u8, out var forwarded))
        {
            var comma = forwarded.IndexOf((byte)',');
            var first = HttpSyntax.TrimOws(comma < 0 ? forwarded : forwarded[..comma]);
            if (!first.IsEmpty)
            {
                return remembered.Get(first, Encoding.Latin1);
            }
        }
        if (headers.TryGet("X-Real-IP"u8, out var realIp) && !realIp.IsEmpty)
        {
            return remembered.Get(realIp, Encoding.Latin1);
        }
        return remote?.Address.ToString() ?? "-"; // IPAddress keeps its string
    }

    private static string MethodName(HttpRequest request) => request.Method switch
    {
        HttpMethodKind.Get => "GET",
        HttpMethodKind.Post => "POST",
        HttpMethodKind.Put => "PUT",
        HttpMethodKind.Delete => "DELETE",
        HttpMethodKind.Patch => "PATCH",
        HttpMethodKind.Head => "HEAD",
        HttpMethodKind.Options => "OPTIONS",
        _ => request.MethodBytes.IsEmpty ? "-" : Encoding.ASCII.GetString(request.MethodBytes),
    };
}
