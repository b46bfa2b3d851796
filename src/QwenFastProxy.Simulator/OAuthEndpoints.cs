using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// The OAuth paths of the simulated Qwen server: <c>POST /api/v1/oauth2/device/code</c>,
/// <c>POST /api/v1/oauth2/token</c> (device-code polling and refresh), and <c>GET /authorize</c>, the verification
/// page — visiting it with <c>?user_code=…</c> approves the login, standing in for the user's browser.
/// </summary>
internal static class OAuthEndpoints
{
    public const string DeviceCodePath = "/api/v1/oauth2/device/code";
    public const string TokenPath = "/api/v1/oauth2/token";
    public const string AuthorizePath = "/authorize";

    private const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";

    public static bool Matches(string path) => path is DeviceCodePath or TokenPath or AuthorizePath;

    public static Task<bool> HandleAsync(HttpContext context, SimulatorState state, RecordedRequest recorded)
    {
        var oauth = state.OAuth;
        var method = recorded.Method;
        switch (recorded.Path)
        {
            case DeviceCodePath when HttpMethods.IsPost(method):
                return DeviceCodeAsync(context, oauth, ParseForm(recorded.Body));
            case TokenPath when HttpMethods.IsPost(method):
                return TokenAsync(context, oauth, ParseForm(recorded.Body));
            case AuthorizePath when HttpMethods.IsGet(method):
                return AuthorizeAsync(context, oauth);
            default:
                return ErrorResponse.MethodNotAllowedAsync(context, state.Ids);
        }
    }

    private static Task<bool> DeviceCodeAsync(HttpContext context, OAuthServer oauth, Dictionary<string, string> form)
    {
        if (!IsQwenCodeClient(form))
        {
            return OAuthErrorAsync(context, 400, "invalid_client", "Unknown client_id.");
        }

        if (!form.TryGetValue("scope", out var scope) || !scope.Split(' ').Contains("model.completion"))
        {
            return OAuthErrorAsync(context, 400, "invalid_scope", "The scope must include model.completion.");
        }

        if (!form.TryGetValue("code_challenge", out var challenge) || challenge.Length != 43
            || !form.TryGetValue("code_challenge_method", out var challengeMethod) || challengeMethod != "S256")
        {
            return OAuthErrorAsync(context, 400, "invalid_request", "PKCE is required: code_challenge (43 characters) with code_challenge_method=S256.");
        }

        var answer = oauth.StartDeviceAuthorization(challenge);
        var verificationUri = $"{Origin(context)}{AuthorizePath}";
        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteString("device_code"u8, answer.DeviceCode);
        json.WriteString("user_code"u8, answer.UserCode);
        json.WriteString("verification_uri"u8, verificationUri);
        json.WriteString("verification_uri_complete"u8, $"{verificationUri}?user_code={answer.UserCode}&client=qwen-code");
        json.WriteNumber("expires_in"u8, (long)answer.ExpiresIn.TotalSeconds);
        if (answer.Interval > TimeSpan.Zero)
        {
            json.WriteNumber("interval"u8, answer.Interval.TotalSeconds);
        }

        json.WriteEndObject();
        return JsonResponse.SendAsync(context, StatusCodes.Status200OK);
    }

    private static Task<bool> TokenAsync(HttpContext context, OAuthServer oauth, Dictionary<string, string> form)
    {
        if (!IsQwenCodeClient(form))
        {
            return OAuthErrorAsync(context, 400, "invalid_client", "Unknown client_id.");
        }

        form.TryGetValue("grant_type", out var grantType);
        TokenAnswer answer;
        switch (grantType)
        {
            case DeviceCodeGrant:
                if (!form.TryGetValue("device_code", out var deviceCode) || !form.TryGetValue("code_verifier", out var verifier))
                {
                    return OAuthErrorAsync(context, 400, "invalid_request", "device_code and code_verifier are required.");
                }

                answer = oauth.PollDeviceCode(deviceCode, verifier, Origin(context));
                break;
            case "refresh_token":
                if (!form.TryGetValue("refresh_token", out var refreshToken))
                {
                    return OAuthErrorAsync(context, 400, "invalid_request", "refresh_token is required.");
                }

                answer = oauth.Refresh(refreshToken, Origin(context));
                break;
            default:
                return OAuthErrorAsync(context, 400, "unsupported_grant_type", "Unsupported grant_type.");
        }

        if (answer.Issued is not { } issued)
        {
            return OAuthErrorAsync(context, answer.Status, answer.ErrorCode!, answer.Description!);
        }

        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteString("access_token"u8, issued.AccessToken);
        if (issued.RefreshToken is not null)
        {
            json.WriteString("refresh_token"u8, issued.RefreshToken);
        }

        json.WriteString("token_type"u8, "Bearer"u8);
        json.WriteNumber("expires_in"u8, (long)issued.ExpiresIn.TotalSeconds);
        if (issued.ResourceUrl is not null)
        {
            json.WriteString("resource_url"u8, issued.ResourceUrl);
        }

        json.WriteEndObject();
        return JsonResponse.SendAsync(context, StatusCodes.Status200OK);
    }

    private static async Task<bool> AuthorizeAsync(HttpContext context, OAuthServer oauth)
    {
        var userCode = context.Request.Query["user_code"].ToString();
        var approved = userCode.Length > 0 && oauth.Approve(userCode);
        var response = context.Response;
        response.StatusCode = approved ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
        response.ContentType = "text/plain; charset=utf-8";
        var text = approved
            ? $"Simulated Qwen login: code {userCode} approved. You can return to the terminal.\n"
            : "Simulated Qwen login: no pending request with that user_code.\n";
        await response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
        return !context.RequestAborted.IsCancellationRequested;
    }

    private static Task<bool> OAuthErrorAsync(HttpContext context, int status, string error, string description)
    {
        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteString("error"u8, error);
        json.WriteString("error_description"u8, description);
        json.WriteEndObject();
        return JsonResponse.SendAsync(context, status);
    }

    private static bool IsQwenCodeClient(Dictionary<string, string> form) =>
        form.TryGetValue("client_id", out var clientId) && clientId == OAuthServer.ClientId;

    /// <summary><c>http://host:port</c> of this simulator as the client reached it.</summary>
    private static string Origin(HttpContext context) =>
        string.Create(CultureInfo.InvariantCulture, $"{context.Request.Scheme}://{context.Request.Host.Value}");

    /// <summary>An <c>application/x-www-form-urlencoded</c> body; the last of repeated fields wins.</summary>
    internal static Dictionary<string, string> ParseForm(byte[] body)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Encoding.UTF8.GetString(body).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            fields[name] = equals < 0 ? string.Empty : Decode(pair[(equals + 1)..]);
        }

        return fields;

        static string Decode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));
    }
}
