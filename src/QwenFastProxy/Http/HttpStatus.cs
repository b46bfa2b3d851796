namespace QwenFastProxy.Http;

/// <summary>Status lines as pre-built bytes, so writing a response head formats nothing.</summary>
internal static class HttpStatus
{
    private static readonly byte[][] Lines = BuildLines();

    /// <summary>The reason phrase the proxy uses for a status code.</summary>
    public static string ReasonPhrase(int status) => status switch
    {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    };

    /// <summary>"HTTP/1.1 {status} {reason}\r\n" for any status from 100 to 599.</summary>
    public static ReadOnlySpan<byte> StatusLine(int status) =>
        status is >= 100 and <= 599 ? Lines[status - 100] : Lines[500 - 100];

    private static byte[][] BuildLines()
    {
        var lines = new byte[500][];
        for (var status = 100; status < 600; status++)
        {
            lines[status - 100] = System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n");
        }
        return lines;
    }
}
