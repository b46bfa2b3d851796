using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// The injected faults of <see cref="FaultResponder"/> on the Anthropic route: the same plans (<c>X-Sim-Fault</c> or the
/// seeded settings), answered with Anthropic's error types, and mid-stream faults striking between events.
/// </summary>
internal static class AnthropicFaultResponder
{
    /// <summary>An event whose data is truncated JSON; the stream goes on normally after it.</summary>
    public static readonly byte[] MalformedEvent =
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"unterminated\n\n"u8.ToArray();

    private static readonly byte[] MalformedBody =
        "{\"id\":\"msg_broken\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"unterminated"u8.ToArray();

    private static readonly byte[] PartialBody = "{\"id\":\"msg_partial\",\"type\":\"message\",\"role\":\"assistant\",\"content\":["u8.ToArray();

    /// <summary>
    /// Decides the request's fault (counting the attempt). Returns the endpoint's result when the fault answers the
    /// request here; null to answer normally, with a mid-stream fault armed for <see cref="FaultResponder.BeforeChunkAsync"/>
    /// when the request streams.
    /// </summary>
    public static Task<bool>? TryAnswer(HttpContext context, SimulatorState state, RecordedRequest recorded)
    {
        var ids = state.Ids;
        if (!state.Faults.TryPlan(context.Request.Headers, state.Options.Faults, out var plan, out var error))
        {
            return AnthropicErrors.InvalidRequestAsync(context, ids, error!);
        }
        if (plan is null)
        {
            return null;
        }

        if (plan.RetryAfterSeconds >= 0)
        {
            context.Response.Headers.RetryAfter = plan.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        if (Answer(context, ids, plan.Kind, recorded) is { } answered)
        {
            return answered;
        }

        // The rest break a response that has started, which looks different for a stream and a whole body.
        if (!AnthropicRequest.TryParse(recorded.Body, out var request, out _))
        {
            return null; // the endpoint answers the bad body with 400
        }
        if (request!.Stream)
        {
            if (plan.Kind == SimulatedFault.Stall && plan.AfterChunks == 0)
            {
                return FaultResponder.StallAsync(context, ChatChunkWriter.ContentType);
            }
            context.Features.Set(plan);
            return null;
        }
        return plan.Kind switch
        {
            SimulatedFault.ResetMidStream => FaultResponder.SendPartialBodyThenAbortAsync(context, PartialBody),
            SimulatedFault.MalformedFrame => FaultResponder.SendMalformedBodyAsync(context, MalformedBody),
            _ => FaultResponder.StallAsync(context, JsonResponse.ContentType),
        };
    }

    // Qwen's wording, Anthropic's error types (chosen by status, as Anthropic's own table maps them).
    private static Task<bool>? Answer(HttpContext context, SimulatorIds ids, SimulatedFault kind, RecordedRequest recorded) => kind switch
    {
        SimulatedFault.InternalServerError => AnthropicErrors.SendAsync(context, ids, StatusCodes.Status500InternalServerError, AnthropicErrors.Api,
            "An internal error has occurred, please try again later or contact service support."),
        SimulatedFault.BadGateway => FaultResponder.SendBadGatewayAsync(context),
        SimulatedFault.ServiceUnavailable => AnthropicErrors.SendAsync(context, ids, StatusCodes.Status503ServiceUnavailable, AnthropicErrors.Overloaded,
            "The service is temporarily unavailable, please try again later."),
        SimulatedFault.Overloaded => AnthropicErrors.SendAsync(context, ids, AnthropicErrors.OverloadedStatus, AnthropicErrors.Overloaded, "Overloaded"),
        SimulatedFault.RateLimited => AnthropicErrors.SendAsync(context, ids, StatusCodes.Status429TooManyRequests, AnthropicErrors.RateLimit,
            "Requests rate limit exceeded, please try again later."),
        SimulatedFault.QuotaExhausted or SimulatedFault.FreeAllocationUsedUp => AnthropicErrors.SendAsync(context, ids,
            StatusCodes.Status429TooManyRequests, AnthropicErrors.RateLimit, "Free allocated quota exceeded."),
        SimulatedFault.PlanPerMinuteQuota => AnthropicErrors.SendAsync(context, ids, StatusCodes.Status429TooManyRequests, AnthropicErrors.RateLimit,
            "Allocated quota exceeded, please increase your quota limit."),
        SimulatedFault.ResetBeforeHeaders => FaultResponder.AbortAsync(context),
        SimulatedFault.Arrearage => AnthropicErrors.InvalidRequestAsync(context, ids,
            "Access denied, please make sure your account is in good standing."),
        SimulatedFault.CommodityNotPurchased => AnthropicErrors.SendAsync(context, ids, StatusCodes.Status403Forbidden, AnthropicErrors.Permission,
            "Commodity has not purchased yet."),
        SimulatedFault.GeneralKeyOnCodingPlan => AnthropicErrors.SendAsync(context, ids, StatusCodes.Status401Unauthorized, AnthropicErrors.Authentication,
            "invalid access token or token expired"),
        SimulatedFault.InvalidApiKey => AnthropicErrors.SendAsync(context, ids, StatusCodes.Status403Forbidden, AnthropicErrors.Permission, "invalid api-key"),
        // The caller check sits in Coding Plan's gateway, in front of every API, so it answers alike on both routes.
        SimulatedFault.CodingAgentsOnly => PlanErrors.TryAnswer(context, ids, kind, recorded),
        SimulatedFault.ModelNotSupported => AnthropicErrors.InvalidRequestAsync(context, ids, $"model '{RequestedModel(recorded)}' is not supported"),
        SimulatedFault.ModelNotFound => AnthropicErrors.SendAsync(context, ids, StatusCodes.Status404NotFound, AnthropicErrors.NotFound,
            $"The model `{RequestedModel(recorded)}` does not exist or you do not have access to it."),
        SimulatedFault.ContextOverflow => AnthropicErrors.InvalidRequestAsync(context, ids, ContextOverflow.Message),
        _ => null,
    };

    private static string RequestedModel(RecordedRequest recorded) =>
        AnthropicRequest.TryParse(recorded.Body, out var request, out _) ? request!.Model : ChatRequest.DefaultModel;
}
