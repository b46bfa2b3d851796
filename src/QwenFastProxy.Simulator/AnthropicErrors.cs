using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>Error bodies in Anthropic's shape: <c>{"type":"error","error":{"type","message"},"request_id"}</c>.</summary>
internal static class AnthropicErrors
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found_error";
    public const string RateLimit = "rate_limit_error";
    public const string Api = "api_error";
    public const string Overloaded = "overloaded_error";

    /// <summary>HTTP status of Anthropic's overloaded answer (not a registered status, hence no constant in <see cref="StatusCodes"/>).</summary>
    public const int OverloadedStatus = 529;

    public static Task<bool> SendAsync(HttpContext context, SimulatorIds ids, int statusCode, string type, string message)
    {
        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteString("type"u8, "error"u8);
        json.WriteStartObject("error"u8);
        json.WriteString("type"u8, type);
        json.WriteString("message"u8, message);
        json.WriteEndObject();
        json.WriteString("request_id"u8, ids.NextRequestId());
        json.WriteEndObject();
        return JsonResponse.SendAsync(context, statusCode);
    }

    public static Task<bool> InvalidRequestAsync(HttpContext context, SimulatorIds ids, string message) =>
        SendAsync(context, ids, StatusCodes.Status400BadRequest, InvalidRequest, message);

    public static Task<bool> AuthenticationAsync(HttpContext context, SimulatorIds ids) =>
        SendAsync(context, ids, StatusCodes.Status401Unauthorized, Authentication, "invalid x-api-key");
}
