using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Observability;

namespace QwenFastProxy.Routing;

/// <summary>The body of <c>GET /usage</c>: the ledger's rows as JSON or CSV.</summary>
internal static class UsageReport
{
    public static void WriteJson(IBufferWriter<byte> output, List<UsageRow> rows, UsageQuery query)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("object"u8, "usage"u8);
        json.WriteStartArray("group_by"u8);
        json.WriteStringValue("day"u8);
        if (query.ByKey)
        {
            json.WriteStringValue("key"u8);
        }
        if (query.ByModel)
        {
            json.WriteStringValue("model"u8);
        }
        json.WriteEndArray();
        WriteDay(json, "from"u8, query.From);
        WriteDay(json, "to"u8, query.To);
        json.WriteStartArray("data"u8);
        var total = new UsageTotals();
        foreach (var row in rows)
        {
            json.WriteStartObject();
            json.WriteString("day"u8, Day(row.Day));
            if (query.ByKey)
            {
                json.WriteString("key"u8, row.Key);
            }
            if (query.ByModel)
            {
                json.WriteString("model"u8, row.Model);
            }
            WriteTotals(json, row.Totals);
            json.WriteEndObject();
            total.Add(row.Totals);
        }
        json.WriteEndArray();
        json.WriteStartObject("total"u8);
        WriteTotals(json, total);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static void WriteCsv(IBufferWriter<byte> output, List<UsageRow> rows, UsageQuery query)
    {
        var text = new StringBuilder();
        text.Append("day");
        if (query.ByKey)
        {
            text.Append(",key");
        }
        if (query.ByModel)
        {
            text.Append(",model");
        }
        text.Append(",requests,errors,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens,total_tokens\n");
        foreach (var row in rows)
        {
            text.Append(Day(row.Day));
            if (query.ByKey)
            {
                text.Append(',').Append(row.Key); // labels and model names never hold a comma or quote
            }
            if (query.ByModel)
            {
                text.Append(',').Append(row.Model);
            }
            var t = row.Totals;
            text.Append(CultureInfo.InvariantCulture,
                $",{t.Requests},{t.Errors},{t.PromptTokens},{t.CompletionTokens},{t.CachedTokens},{t.ReasoningTokens},{t.PromptTokens + t.CompletionTokens}\n");
        }
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text.ToString(), span));
    }

    private static void WriteTotals(Utf8JsonWriter json, UsageTotals totals)
    {
        json.WriteNumber("requests"u8, totals.Requests);
        json.WriteNumber("errors"u8, totals.Errors);
        json.WriteNumber("prompt_tokens"u8, totals.PromptTokens);
        json.WriteNumber("completion_tokens"u8, totals.CompletionTokens);
        json.WriteNumber("cached_tokens"u8, totals.CachedTokens);
        json.WriteNumber("reasoning_tokens"u8, totals.ReasoningTokens);
        json.WriteNumber("total_tokens"u8, totals.PromptTokens + totals.CompletionTokens);
    }

    private static void WriteDay(Utf8JsonWriter json, ReadOnlySpan<byte> name, DateOnly? day)
    {
        if (day is { } value)
        {
            json.WriteString(name, Day(value));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
