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
        if (!json)
        {
            WritePrefix(output, now, " INF "u8);
            WriteMessage(output, entry);
            Append(output, "\n"u8);
            return;
        }
        var message = Scratch();
        WriteMessage(message, entry);
        var writer = StartJson(output, "Information"u8, now, message.WrittenSpan);
        writer.WriteString("client_ip"u8, entry.ClientIp);
        writer.WriteString("method"u8, entry.Method);
        writer.WriteString("path"u8, entry.Path);
        writer.WriteNumber("status"u8, entry.Status);
        writer.WriteNumber("upstream_status"u8, entry.UpstreamStatus);
        writer.WriteString("model"u8, entry.Model);
        writer.WriteBoolean("streaming"u8, entry.Streaming);
        writer.WriteNumber("request_bytes"u8, entry.RequestBytes);
        writer.WriteNumber("response_bytes"u8, entry.ResponseBytes);
        writer.WriteNumber("ttfb_ms"u8, entry.TtfbMs);
        writer.WriteNumber("duration_ms"u8, entry.DurationMs);
        writer.WriteNumber("repaired_chunks"u8, entry.RepairedChunks);
        writer.WriteNumber("removed_bytes"u8, entry.RemovedBytes);
        writer.WriteString("error"u8, entry.Error);
        writer.WriteString("user_agent"u8, entry.UserAgent);
        EndJson(output, writer);
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

    /// <summary>A warning line: <paramref name="count"/> access lines were dropped because the output fell behind.</summary>
    public static void WriteDropped(IBufferWriter<byte> output, bool json, long count, DateTimeOffset now)
    {
        var message = Scratch();
        Append(message, count);
        Append(message, " access lines dropped: the log output fell behind"u8);
        if (!json)
        {
            WritePrefix(output, now, " WRN "u8);
            Append(output, message.WrittenSpan);
            Append(output, "\n"u8);
            return;
        }
        var writer = StartJson(output, "Warning"u8, now, message.WrittenSpan);
        writer.WriteNumber("dropped"u8, count);
        EndJson(output, writer);
    }

    /// <summary>The thread's buffer for a message, emptied.</summary>
    private static ArrayBufferWriter<byte> Scratch()
    {
        var message = t_message ??= new ArrayBufferWriter<byte>(512);
        message.ResetWrittenCount();
        return message;
    }

    /// <summary>What every JSON line opens with, as ZLogger writes it; the caller adds its fields.</summary>
    private static Utf8JsonWriter StartJson(IBufferWriter<byte> output, ReadOnlySpan<byte> level, DateTimeOffset now, ReadOnlySpan<byte> message)
    {
        var writer = t_json ??= new Utf8JsonWriter(output, JsonOptions);
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString("Timestamp"u8, now);
        writer.WriteString("LogLevel"u8, level);
        writer.WriteString("Category"u8, Category);
        writer.WriteString("Message"u8, message);
        return writer;
    }

    private static void EndJson(IBufferWriter<byte> output, Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        Append(output, "\n"u8);
    }

    /// <summary>The text line's start: UTC time to the millisecond and the level (<c>" INF "</c>).</summary>
    private static void WritePrefix(IBufferWriter<byte> output, DateTimeOffset now, ReadOnlySpan<byte> level)
    {
        WriteTimestamp(output, now.UtcDateTime);
        Append(output, level);
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
