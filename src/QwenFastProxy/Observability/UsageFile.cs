using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using QwenFastProxy.Http;

namespace QwenFastProxy.Observability;

/// <summary>
/// The usage file's format: CSV, one row per model request, appended and never rewritten.
/// <c>time,key,model,status,error,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens</c>; the token
/// fields are empty when the upstream reported no usage. Keys and models never hold a comma, quote or control
/// character (the ledger replaces them), so no field is quoted and any CSV tool reads the file.
/// </summary>
internal static class UsageFile
{
    /// <summary>The file's name inside the state folder.</summary>
    public const string FileName = "usage.csv";

    public static ReadOnlySpan<byte> Header => "time,key,model,status,error,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens\n"u8;

    public static void WriteRow(IBufferWriter<byte> output, in UsageEntry entry)
    {
        var span = output.GetSpan(64);
        // Round-trip ("O") time in UTC: sortable and exact.
        entry.Time.UtcDateTime.TryFormat(span, out var written, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        output.Advance(written);
        Comma(output);
        Text(output, entry.Key);
        Comma(output);
        Text(output, entry.Model);
        Comma(output);
        Number(output, entry.Status);
        Comma(output);
        Number(output, entry.Error ? 1 : 0);
        if (entry.Usage is { } usage)
        {
            Comma(output);
            Number(output, usage.Prompt);
            Comma(output);
            Number(output, usage.Completion);
            Comma(output);
            Number(output, usage.Cached);
            Comma(output);
            Number(output, usage.Reasoning);
        }
        else
        {
            output.Write(",,,,"u8);
        }
        output.Write("\n"u8);
    }

    /// <summary>Parses one line (without its line feed); false for the header, a torn or a foreign line.</summary>
    public static bool TryParseRow(string line, out UsageEntry entry)
    {
        entry = default;
        var fields = line.Split(',');
        if (fields.Length != 9
            || !DateTimeOffset.TryParseExact(fields[0], "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            || fields[1].Length == 0 || fields[2].Length == 0
            || !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var status)
            || fields[4] is not ("0" or "1"))
        {
            return false;
        }
        TokenUsage? usage = null;
        if (fields[5].Length > 0 || fields[6].Length > 0 || fields[7].Length > 0 || fields[8].Length > 0)
        {
            if (!Count(fields[5], out var prompt) || !Count(fields[6], out var completion)
                || !Count(fields[7], out var cached) || !Count(fields[8], out var reasoning))
            {
                return false;
            }
            usage = new TokenUsage(prompt, completion, cached, reasoning);
        }
        entry = new UsageEntry(time, fields[1], fields[2], status, fields[4] == "1", usage);
        return true;
    }

    private static bool Count(string field, out long value) =>
        long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static void Comma(IBufferWriter<byte> output) => output.Write(","u8);

    private static void Text(IBufferWriter<byte> output, string value)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
        output.Advance(Encoding.UTF8.GetBytes(value, span));
    }

    private static void Number(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        output.Advance(written);
    }
}
