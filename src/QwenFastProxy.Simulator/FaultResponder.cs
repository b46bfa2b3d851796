using System.Globalization;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// Carries out injected faults: <see cref="TryAnswer"/> at the start of a chat request (error statuses — Qwen's plan
/// answers in <see cref="PlanErrors"/> —, a reset
/// before the head, and the broken non-streaming answers), <see cref="BeforeChunkAsync"/> inside a stream (reset,
/// malformed frame or stall after N content chunks).
/// </summary>
internal static class FaultResponder
{
    // Truncated JSON, then the frame terminator: a frame no JSON parser accepts, followed by a healthy stream.
    private static readonly byte[] MalformedFrame =
        "data: {\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"unterminated\n\n"u8.ToArray();

    private static readonly byte[] MalformedBody =
        "{\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"unterminated"u8.ToArray();

    // The start of a plausible body whose announced length is never reached.
    private static readonly byte[] PartialBody = "{\"id\":\"chatcmpl-partial\",\"object\":\"chat.completion\",\"choices\":["u8.ToArray();

    private const int PartialBodyAnnouncedLength = 512;

    private static ReadOnlySpan<byte> BadGatewayPage =>
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>qwen-simulator</center>\r\n</body>\r\n</html>\r\n"u8;

    /// <summary>
    /// Decides the request's fault (counting the attempt). Returns the endpoint's result when the fault answers the
    /// request here; null to answer normally — with a mid-stream fault armed in <c>context.Features</c> for
    /// <see cref="BeforeChunkAsync"/> when the request streams.
    /// </summary>
    public static Task<bool>? TryAnswer(HttpContext context, SimulatorState state, RecordedRequest recorded)
    {
        if (!state.Faults.TryPlan(context.Request.Headers, state.Options.Faults, out var plan, out var error))
        {
            return ErrorResponse.InvalidParameterAsync(context, state.Ids, error!);
        }
        if (plan is null)
        {
            return null;
        }

        if (plan.RetryAfterSeconds >= 0)
        {
            context.Response.Headers.RetryAfter = plan.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        switch (plan.Kind)
        {
            case SimulatedFault.InternalServerError:
                return ErrorResponse.SendAsync(context, state.Ids, StatusCodes.Status500InternalServerError, "internal_error",
                    "An internal error has occurred, please try again later or contact service support.", "internal_error");
            case SimulatedFault.BadGateway:
                return SendBadGatewayAsync(context);
            case SimulatedFault.ServiceUnavailable:
                return ErrorResponse.SendAsync(context, state.Ids, StatusCodes.Status503ServiceUnavailable, "service_unavailable",
                    "The service is temporarily unavailable, please try again later.", "server_error");
            case SimulatedFault.RateLimited:
                return ErrorResponse.SendAsync(context, state.Ids, StatusCodes.Status429TooManyRequests, "rate_limit_exceeded",
                    "Requests rate limit exceeded, please try again later.", "rate_limit_error");
            case SimulatedFault.QuotaExhausted:
                return ErrorResponse.SendAsync(context, state.Ids, StatusCodes.Status429TooManyRequests, "insufficient_quota",
                    "Free allocated quota exceeded.", "insufficient_quota");
            case SimulatedFault.Overloaded:
                return ErrorResponse.SendAsync(context, state.Ids, AnthropicErrors.OverloadedStatus, "overloaded",
                    "The service is overloaded, please try again later.", "server_error");
            case SimulatedFault.ContextOverflow:
                return ErrorResponse.InvalidParameterAsync(context, state.Ids, ContextOverflow.Message);
            case SimulatedFault.ResetBeforeHeaders:
                return AbortAsync(context);
        }
        if (PlanErrors.TryAnswer(context, state.Ids, plan.Kind, recorded) is { } planError)
        {
            return planError;
        }

        // The rest break a response that has started, which looks different for a stream and a whole body.
        if (!ChatRequest.TryParse(recorded.Body, out var request, out _))
        {
            return null; // the endpoint answers the bad body with 400
        }
        if (request!.Stream)
        {
            if (plan.Kind == SimulatedFault.Stall && plan.AfterChunks == 0)
            {
                return StallAsync(context, ChatChunkWriter.ContentType);
            }
            context.Features.Set(plan);
            return null;
        }
        return plan.Kind switch
        {
            SimulatedFault.ResetMidStream => SendPartialBodyThenAbortAsync(context, PartialBody),
            SimulatedFault.MalformedFrame => SendMalformedBodyAsync(context, MalformedBody),
            _ => StallAsync(context, JsonResponse.ContentType),
        };
    }

    /// <summary>The mid-stream fault armed for this request by <see cref="TryAnswer"/>, if any (read once per stream).</summary>
    public static FaultPlan? Armed(HttpContext context) => context.Features.Get<FaultPlan>();

    /// <summary>
    /// Called before each content chunk of a stream. Strikes when <c>after</c> chunks have gone: a malformed
    /// frame returns and the stream goes on; a reset or a stall ends the stream with an
    /// <see cref="OperationCanceledException"/> once the connection is gone. <paramref name="malformedFrame"/> is the
    /// broken frame in the route's own framing (a chat chunk when null).
    /// </summary>
    public static ValueTask BeforeChunkAsync(HttpContext context, FaultPlan? plan, byte[]? malformedFrame = null) =>
        plan is null || !plan.StrikesBeforeNextChunk() ? default : StrikeAsync(context, plan, malformedFrame ?? MalformedFrame);

    private static async ValueTask StrikeAsync(HttpContext context, FaultPlan plan, byte[] malformedFrame)
    {
        if (plan.Kind == SimulatedFault.MalformedFrame)
        {
            context.Response.BodyWriter.WriteAll(malformedFrame);
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (plan.Kind == SimulatedFault.ResetMidStream)
        {
            await CutAsync(context).ConfigureAwait(false);
        }
        else
        {
            await WhenClientLeavesAsync(context).ConfigureAwait(false);
        }
        // The connection is gone; the application treats an exception after RequestAborted as "client left".
        throw new OperationCanceledException(context.RequestAborted);
    }

    internal static async Task<bool> SendBadGatewayAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status502BadGateway;
        response.ContentType = "text/html";
        response.ContentLength = BadGatewayPage.Length;
        var finished = !context.RequestAborted.IsCancellationRequested;
        response.BodyWriter.WriteAll(BadGatewayPage);
        await response.BodyWriter.FlushAsync().ConfigureAwait(false);
        return finished;
    }

    internal static async Task<bool> SendMalformedBodyAsync(HttpContext context, byte[] malformedBody)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonResponse.ContentType;
        response.ContentLength = malformedBody.Length;
        var finished = !context.RequestAborted.IsCancellationRequested;
        response.BodyWriter.WriteAll(malformedBody);
        await response.BodyWriter.FlushAsync().ConfigureAwait(false);
        return finished;
    }

    internal static async Task<bool> SendPartialBodyThenAbortAsync(HttpContext context, byte[] partialBody)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonResponse.ContentType;
        response.ContentLength = PartialBodyAnnouncedLength;
        response.BodyWriter.WriteAll(partialBody);
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        return await CutAsync(context).ConfigureAwait(false);
    }

    internal static async Task<bool> StallAsync(HttpContext context, string contentType)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        await WhenClientLeavesAsync(context).ConfigureAwait(false);
        return false;
    }

    // A connection that breaks in the middle of a response. Kestrel's Abort resets the socket, and a reset may make
    // the client's kernel drop bytes it has received but the client not yet read — the frames sent just before
    // would arrive or not by chance. So the simulator closes its sending side instead (FIN after everything
    // flushed, which inline transport scheduling has already handed to the socket): the client reads every frame,
    // then an early end of the body. Kestrel's abort follows once the client has gone.
    private static async Task<bool> CutAsync(HttpContext context)
    {
        if (context.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            return await AbortAsync(context).ConfigureAwait(false);
        }
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
        await WhenClientLeavesAsync(context).ConfigureAwait(false);
        context.Abort();
        return false;
    }

    // Kestrel signals RequestAborted for an aborted connection, possibly a moment later on another thread; waiting
    // for it lets callers report "not finished" consistently.
    internal static async Task<bool> AbortAsync(HttpContext context)
    {
        context.Abort();
        await WhenClientLeavesAsync(context).ConfigureAwait(false);
        return false;
    }

    // Bounded by the client (or the simulator stopping, which aborts every connection after its grace period).
    private static async Task WhenClientLeavesAsync(HttpContext context) =>
        await Task.Delay(Timeout.Infinite, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
}
