using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>Error bodies in the shape Qwen's OpenAI-compatible endpoint uses (OpenAI's plus a <c>request_id</c>).</summary>
internal static class ErrorResponse
{
    public const string InvalidRequestError = "invalid_request_error";

    public static Task<bool> SendAsync(HttpContext context, SimulatorIds ids, int statusCode, string? code,
        string message, string type = InvalidRequestError)
    {
        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteStartObject("error");
        if (code is null)
        {
            json.WriteNull("code");
        }
        else
        {
            json.WriteString("code", code);
        }

        json.WriteString("message", message);
        json.WriteNull("param");
        json.WriteString("type", type);
        json.WriteEndObject();
        json.WriteString("request_id", ids.NextRequestId());
        json.WriteEndObject();
        return JsonResponse.SendAsync(context, statusCode);
    }

    /// <summary>Qwen's answer to a missing, wrong or expired access token.</summary>
    public static Task<bool> InvalidApiKeyAsync(HttpContext context, SimulatorIds ids) =>
        SendAsync(context, ids, StatusCodes.Status401Unauthorized, "invalid_api_key",
            "invalid access token or token expired");

    public static Task<bool> InvalidParameterAsync(HttpContext context, SimulatorIds ids, string message) =>
        SendAsync(context, ids, StatusCodes.Status400BadRequest, "invalid_parameter_error", message);

    public static Task<bool> NotFoundAsync(HttpContext context, SimulatorIds ids) =>
        SendAsync(context, ids, StatusCodes.Status404NotFound, "not_found",
            $"Invalid URL ({context.Request.Method} {context.Request.Path})");

    public static Task<bool> MethodNotAllowedAsync(HttpContext context, SimulatorIds ids) =>
        SendAsync(context, ids, StatusCodes.Status405MethodNotAllowed, "method_not_allowed",
            $"Method {context.Request.Method} is not allowed for {context.Request.Path}");
}
