using System.Globalization;
using System.Text;
using QwenFastProxy.Http;

namespace QwenFastProxy.Routing;

/// <summary>
/// The parameters of <c>GET /usage</c>: <c>group_by</c> (<c>key,model</c> by default, or <c>key</c>, <c>model</c>,
/// <c>day</c>: always per UTC day), <c>format</c> (<c>json</c> by default, or <c>csv</c>; <c>Accept: text/csv</c>
/// also asks for CSV) and the inclusive UTC days <c>from</c> and <c>to</c> (<c>YYYY-MM-DD</c>).
/// </summary>
internal sealed record UsageQuery(bool ByKey, bool ByModel, bool Csv, DateOnly? From, DateOnly? To)
{
    private const string Parameters = "group_by, format, from, to";

    /// <summary>Reads the query string of <paramref name="target"/>; on failure <paramref name="error"/> names the bad parameter.</summary>
    public static bool TryParse(ReadOnlySpan<byte> target, RequestHeaders headers, out UsageQuery query, out string? error)
    {
        query = new UsageQuery(ByKey: true, ByModel: true, Csv: AcceptsCsv(headers), From: null, To: null);
        error = null;
        var mark = target.IndexOf((byte)'?');
        if (mark < 0)
        {
            return true;
        }
        foreach (var pair in Encoding.ASCII.GetString(target[(mark + 1)..]).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            switch (name)
            {
                case "group_by":
                    if (!TryGroup(value, out var byKey, out var byModel))
                    {
                        error = $"group_by '{value}' is not valid; expected key, model, key,model or day.";
                        return false;
                    }
                    query = query with { ByKey = byKey, ByModel = byModel };
                    break;
                case "format":
                    if (value is not ("json" or "csv"))
                    {
                        error = $"format '{value}' is not valid; expected json or csv.";
                        return false;
                    }
                    query = query with { Csv = value == "csv" };
                    break;
                case "from" or "to":
                    if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                    {
                        error = $"{name} '{value}' is not valid; expected a UTC day as YYYY-MM-DD.";
                        return false;
                    }
                    query = name == "from" ? query with { From = day } : query with { To = day };
                    break;
                default:
                    error = $"Unknown parameter '{name}'; /usage takes {Parameters}.";
                    return false;
            }
        }
        if (query.From > query.To)
        {
            error = $"from ({query.From:yyyy-MM-dd}) is after to ({query.To:yyyy-MM-dd}).";
            return false;
        }
        return true;
    }

    private static bool TryGroup(string value, out bool byKey, out bool byModel)
    {
        byKey = byModel = false;
        if (value == "day")
        {
            return true;
        }
        foreach (var part in value.Split(','))
        {
            switch (part.Trim())
            {
                case "key" when !byKey:
                    byKey = true;
                    break;
                case "model" when !byModel:
                    byModel = true;
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    private static bool AcceptsCsv(RequestHeaders headers) =>
        headers.TryGet("Accept"u8, out var accept) && accept.IndexOf("text/csv"u8) >= 0;
}
