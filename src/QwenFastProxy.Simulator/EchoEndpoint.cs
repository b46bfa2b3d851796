using System.Text;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// <c>/v1/sim/echo</c> (and anything below it), any method: reflects the request as JSON so tests can check that a
/// proxy forwards endpoints it does not understand without changing them.
/// </summary>
internal static class EchoEndpoint
{
    public const string Path = "/v1/sim/echo";

    public static bool Matches(string path) =>
        path.StartsWith(Path, StringComparison.Ordinal) && (path.Length == Path.Length || path[Path.Length] == '/');

    public static Task<bool> HandleAsync(HttpContext context, RecordedRequest recorded)
    {
        // Decoded up front: the JSON writer validates UTF-8 spans strictly, while a string from a lenient decode
        // (invalid bytes become U+FFFD) always serialises.
        var body = Encoding.UTF8.GetString(recorded.Body);

        var json = JsonResponse.Begin();
        json.WriteStartObject();
        json.WriteString("method"u8, recorded.Method);
        json.WriteString("path"u8, recorded.Path);
        json.WriteString("query"u8, recorded.QueryString);
        json.WriteStartObject("headers"u8);
        foreach (var (name, value) in recorded.Headers)
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();
        json.WriteString("body"u8, body);
        json.WriteEndObject();
        return JsonResponse.SendAsync(context, StatusCodes.Status200OK);
    }
}
