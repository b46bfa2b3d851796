using System.Text;

namespace QwenFastProxy.Benchmarks.Http;

/// <summary>
/// A chat completion request as an OpenAI SDK sends it to the proxy: the request line, twelve header
/// fields (the Python SDK's, trimmed of the rarer X-Stainless ones) and a Content-Length JSON body of
/// about 1 KB (968 bytes). Shared by the parser and access-log benchmarks so both measure the same request.
/// </summary>
internal static class ChatRequestSample
{
    /// <summary>Body bytes of <see cref="Request"/>.</summary>
    public static readonly byte[] Body = Encoding.UTF8.GetBytes(BuildBody());

    /// <summary>Head (with its blank line) and body of one request.</summary>
    public static readonly byte[] Request = Encoding.ASCII.GetBytes(
        "POST /v1/chat/completions HTTP/1.1\r\n"
        + "Host: 127.0.0.1:8143\r\n"
        + "Accept-Encoding: gzip, deflate\r\n"
        + "Connection: keep-alive\r\n"
        + "Accept: application/json\r\n"
        + "Content-Type: application/json\r\n"
        + "User-Agent: OpenAI/Python 1.54.0\r\n"
        + "X-Stainless-Lang: python\r\n"
        + "X-Stainless-Package-Version: 1.54.0\r\n"
        + "X-Stainless-OS: Linux\r\n"
        + "Authorization: Bearer sk-anything\r\n"
        + "x-stainless-retry-count: 0\r\n"
        + $"Content-Length: {Body.Length}\r\n"
        + "\r\n").Concat(Body).ToArray();

    /// <summary>Length of the head, blank line included.</summary>
    public static int HeadLength => Request.Length - Body.Length;

    // A system prompt and a user message, padded to ~1 KB the way a coding assistant's context is.
    private static string BuildBody()
    {
        var code = string.Concat(Enumerable.Repeat("    total += item.Price * item.Quantity;\\n", 16));
        return "{\"model\":\"qwen3-coder-plus\",\"stream\":true,\"temperature\":0.2,\"messages\":["
            + "{\"role\":\"system\",\"content\":\"You are a careful coding assistant. Answer with code first, then a short explanation.\"},"
            + "{\"role\":\"user\",\"content\":\"Why does this loop overflow?\\n```csharp\\nforeach (var item in cart)\\n{\\n"
            + code + "}\\n```\"}]}";
    }
}
