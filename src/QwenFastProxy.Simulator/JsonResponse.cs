using System.Buffers;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace QwenFastProxy.Simulator;

/// <summary>
/// Writes whole JSON bodies with a <c>Content-Length</c> (clients and proxies then see a plain, unchunked body),
/// serialising into a per-thread buffer so no response allocates its own buffer or writer.
/// </summary>
internal static class JsonResponse
{
    public const string ContentType = "application/json";

    // Relaxed escaping: real upstreams send raw UTF-8 and '<', '+', '&' unescaped; the default encoder would
    // turn them into \uXXXX, which is valid JSON but would hide bugs in byte-level stream handling.
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const int MaxRetainedBuffer = 1 << 20;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Starts a body in the calling thread's buffer. The caller must finish with <see cref="SendAsync"/> on the
    /// same thread with no <c>await</c> in between, otherwise another request could reuse the buffer.
    /// </summary>
    public static Utf8JsonWriter Begin()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        return writer;
    }

    /// <summary>
    /// Sends what was written since <see cref="Begin"/>. Resolves to whether the client was still there when the
    /// body was handed to Kestrel, which is what <see cref="RecordedRequest.Completed"/> reports.
    /// </summary>
    public static Task<bool> SendAsync(HttpContext context, int statusCode)
    {
        var writer = t_writer!;
        var buffer = t_buffer!;
        writer.Flush();

        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = ContentType;
        response.ContentLength = buffer.WrittenCount;
        var finished = !context.RequestAborted.IsCancellationRequested;
        var body = response.BodyWriter;
        body.WriteAll(buffer.WrittenSpan);

        if (buffer.Capacity > MaxRetainedBuffer)
        {
            // One huge echo body should not pin a megabyte per Kestrel thread forever.
            t_buffer = null;
            t_writer = null;
        }
        else
        {
            buffer.ResetWrittenCount();
        }

        return FlushAsync(body, finished);
    }

    private static async Task<bool> FlushAsync(PipeWriter body, bool finished)
    {
        await body.FlushAsync().ConfigureAwait(false);
        return finished;
    }
}
