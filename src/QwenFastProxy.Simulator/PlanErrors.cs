using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// Qwen's plan answers as the real hosts word them: a plan's per-minute limit worded as a quota, the billing
/// refusals, a key on the wrong plan's host, Coding Plan's caller check and a misspelt model. Shapes vary on
/// purpose: OpenAI's error object, DashScope's top-level code and message, and a bare <c>{"error":"…"}</c>.
/// </summary>
internal static class PlanErrors
{
    /// <summary>The answer for <paramref name="kind"/>, or null when it is not one of these.</summary>
    public static Task<bool>? TryAnswer(HttpContext context, SimulatorIds ids, SimulatedFault kind, RecordedRequest recorded) => kind switch
    {
        SimulatedFault.PlanPerMinuteQuota => ErrorResponse.SendAsync(context, ids, StatusCodes.Status429TooManyRequests, "Throttling.AllocationQuota",
            "Allocated quota exceeded, please increase your quota limit.", "rate_limit_error"),
        SimulatedFault.Arrearage => SendNativeAsync(context, ids, StatusCodes.Status400BadRequest, "Arrearage",
            "Access denied, please make sure your account is in good standing."),
        SimulatedFault.CommodityNotPurchased => ErrorResponse.SendAsync(context, ids, StatusCodes.Status403Forbidden, "CommodityNotPurchased",
            "Commodity has not purchased yet."),
        SimulatedFault.FreeAllocationUsedUp => ErrorResponse.SendAsync(context, ids, StatusCodes.Status429TooManyRequests, "Throttling.AllocationQuota",
            "Free allocated quota exceeded.", "rate_limit_error"),
        SimulatedFault.GeneralKeyOnCodingPlan => ErrorResponse.InvalidApiKeyAsync(context, ids),
        SimulatedFault.InvalidApiKey => ErrorResponse.SendAsync(context, ids, StatusCodes.Status403Forbidden, "invalid_api_key", "invalid api-key"),
        SimulatedFault.CodingAgentsOnly => SendBareAsync(context, StatusCodes.Status405MethodNotAllowed,
            "Coding Plan is currently only available for Coding Agents"),
        SimulatedFault.ModelNotSupported => ErrorResponse.SendAsync(context, ids, StatusCodes.Status400BadRequest, "invalid_parameter_error",
            $"model '{RequestedModel(recorded)}' is not supported"),
        SimulatedFault.ModelNotFound => ErrorResponse.SendAsync(context, ids, StatusCodes.Status404NotFound, "model_not_found",
            $"The model `{RequestedModel(recorded)}` does not exist or you do not have access to it."),
        _ => null,
    };

    private static string RequestedModel(RecordedRequest recorded) =>
        ChatRequest.TryParse(recorded.Body, out var request, out _) ? request!.Model : ChatRequest.DefaultModel;

    // DashScope's native shape: code and message at the top level.
    private static Task<bool> SendNativeAsync(HttpContext context, SimulatorIds ids, int statusCode, string code, string message)
    {
        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteString("code", code);
        json.WriteString("message", message);
        json.WriteString("request_id", ids.NextRequestId());
        json.WriteEndObject();
        return JsonResponse.SendAsync(context, statusCode);
    }

    // Coding Plan's gateway answers its caller check with the error as a plain string.
    private static Task<bool> SendBareAsync(HttpContext context, int statusCode, string message)
    {
        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteString("error", message);
        json.WriteEndObject();
        return JsonResponse.SendAsync(context, statusCode);
    }
}
