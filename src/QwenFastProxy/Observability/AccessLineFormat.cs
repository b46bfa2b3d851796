using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace QwenFastProxy.Observability;

/// <summary>
/// Writes an access-log line as UTF-8, the way the rest of the log looks: text is
/// <c>yyyy-MM-dd HH:mm:ss.fff INF message</c> (UTC), JSON is ZLogger's object (<c>Timestamp</c>, <c>LogLevel</c>,
/// <c>Category</c>, <c>Message</c>, then one property per field). No strings are made.
/// </summary>
internal static class AccessLineFormat
{
    /// <summary>The category the access lines are logged under.</summary>
    public const string Category = "QwenFastProxy.Access";

    // Quotes as \" rather than \u0022, as ZLogger writes them; the line is read by log tools, not put in HTML.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    [ThreadStatic]
    private static Utf8JsonWriter? t_json;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_message;

    /// <summary>One line, newline included.</summary>
    public static void Write(IBufferWriter<byte> output, bool json, in AccessEntry entry, DateTimeOffset now)
    {
        if (json)
        {
            WriteJson(output, entry, now);
        }
        else
        {
            WriteTimestamp(output, now.UtcDateTime);
            Append(output, " INF "u8);
            WriteMessage(output, entry);
        }
        Append(output, "\n"u8);
    }

    /// <summary>The message part: <c>ip METHOD path status upstream=… model=… … ua=…</c>.</summary>
    public static void WriteMessage(IBufferWriter<byte> output, in AccessEntry e)
    {
        Append(output, e.ClientIp);
        Append(output, " "u8);
        Append(output, e.Method);
        Append(output, " "u8);
        Append(output, e.Path);
        Append(output, " "u8);
        Append(output, e.Status);
        Append(output, " upstream="u8);
        Append(output, e.UpstreamStatus);
        Append(output, " model="u8);
        Append(output, e.Model);
        Append(output, e.Streaming ? " stream=True"u8 : " stream=False"u8);
        Append(output, " req_bytes="u8);
        Append(output, e.RequestBytes);
        Append(output, " resp_bytes="u8);
        Append(output, e.ResponseBytes);
        Append(output, " ttfb_ms="u8);
        Append(output, e.TtfbMs);
        Append(output, " duration_ms="u8);
        Append(output, e.DurationMs);
        Append(output, " repaired="u8);
        Append(output, e.RepairedChunks);
        Append(output, "/"u8);
        Append(output, e.RemovedBytes);
        Append(output, "B error="u8);
        Append(output, e.Error);
        Append(output, " ua="u8); // last: it contains spaces
        Append(output, e.UserAgent);
    }

    private static void WriteJson(IBufferWriter<byte> output, in AccessEntry e, DateTimeOffset now)
    {
        var message = t_message ??= new ArrayBufferWriter<byte>(512);
        message.ResetWrittenCount();
        WriteMessage(message, e);

        var json = t_json ??= new Utf8JsonWriter(output, JsonOptions);
        json.Reset(output);
        json.WriteStartObject();
        json.WriteString("Timestamp"u8, now);
        json.WriteString("LogLevel"u8, "Information"u8);
        json.WriteString("Category"u8, Category);
        json.WriteString("Message"u8, message.WrittenSpan);
        json.WriteString("client_ip"u8, e.ClientIp);
        json.WriteString("method"u8, e.Method);
        json.WriteString("path"u8, e.Path);
        json.WriteNumber("status"u8, e.Status);
        json.WriteNumber("upstream_status"u8, e.UpstreamStatus);
        json.WriteString("model"u8, e.Model);
        json.WriteBoolean("streaming"u8, e.Streaming);
        json.WriteNumber("request_bytes"u8, e.RequestBytes);
        json.WriteNumber("response_bytes"u8, e.ResponseBytes);
        json.WriteNumber("ttfb_ms"u8, e.TtfbMs);
        json.WriteNumber("duration_ms"u8, e.DurationMs);
        json.WriteNumber("repaired_chunks"u8, e.RepairedChunks);
        json.WriteNumber("removed_bytes"u8, e.RemovedBytes);
        json.WriteString("error"u8, e.Error);
        json.WriteString("user_agent"u8, e.UserAgent);
        json.WriteEndObject();
        json.Flush();
    }

    /// <summary>A warning line: <paramref name="count"/> access lines were dropped because the output fell behind.</summary>
    public static void WriteDropped(IBufferWriter<byte> output, bool json, long count, DateTimeOffset now)
    {
        var message = t_message ??= new ArrayBufferWriter<byte>(512);
        message.ResetWrittenCount();
        Append(message, count);
        Append(message, " access lines dropped: the log output fell behind"u8);
        if (json)
        {
            var writer = t_json ??= new Utf8JsonWriter(output, JsonOptions);
            writer.Reset(output);
            writer.WriteStartObject();
            writer.WriteString("Timestamp"u8, now);
            writer.WriteString("LogLevel"u8, "Warning"u8);
            writer.WriteString("Category"u8, Category);
            writer.WriteString("Message"u8, message.WrittenSpan);
            writer.WriteNumber("dropped"u8, count);
            writer.WriteEndObject();
            writer.Flush();
        }
        else
        {
            WriteTimestamp(output, now.UtcDateTime);
            Append(output, " WRN "u8);
            Append(output, message.WrittenSpan);
        }
        Append(output, "\n"u8);
    }

    private static void WriteTimestamp(IBufferWriter<byte> output, DateTime utc)
    {
        var span = output.GetSpan(32);
        utc.TryFormat(span, out var written, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private static void Append(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    private static void Append(IBufferWriter<byte> output, string text)
    {
        var written = Encoding.UTF8.GetBytes(text, output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length)));
        output.Advance(written);
    }

    private static void Append(IBufferWriter<byte> output, long value)
    {
        value.TryFormat(output.GetSpan(20), out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private static void Append(IBufferWriter<byte> output, double value)
    {
        value.TryFormat(output.GetSpan(32), out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }
}
