using System.Buffers;
using QwenFastProxy.Http;
using QwenFastProxy.Observability;

namespace QwenFastProxy.Routing;

/// <summary><c>GET /usage</c>: requests, errors and tokens per UTC day, client key and model, from the usage ledger.</summary>
internal static class UsageEndpoint
{
    public static async ValueTask ServeAsync(RequestContext context, UsageLedger ledger)
    {
        var response = context.Response;
        if (!UsageQuery.TryParse(context.Request.Target, context.Request.Headers, out var query, out var error))
        {
            response.WriteError(ProxyErrors.InvalidQuery(error!));
            return;
        }
        try
        {
            // Right after start the file may still be being read back: wait, rather than answer with part of it.
            await ledger.Loaded.WaitAsync(context.Aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.Aborted.IsCancellationRequested)
        {
            return; // the client left
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Reported by the ledger; what this process counted is still worth answering with.
        }
        var rows = ledger.Query(query.ByKey, query.ByModel, query.From, query.To);
        var body = new ArrayBufferWriter<byte>(4096);
        if (query.Csv)
        {
            UsageReport.WriteCsv(body, rows, query);
            response.WriteComplete(200, "Content-Type: text/csv; charset=utf-8\r\nCache-Control: no-store\r\n"u8, body.WrittenSpan);
        }
        else
        {
            UsageReport.WriteJson(body, rows, query);
            response.WriteComplete(200, "Content-Type: application/json\r\nCache-Control: no-store\r\n"u8, body.WrittenSpan);
        }
    }
}
