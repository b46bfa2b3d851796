using System.Buffers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace QwenFastProxy.Simulator;

/// <summary>
/// The request pipeline Kestrel calls directly: record, route by hand, answer. No middleware, routing tables or
/// endpoint metadata, so nothing here depends on reflection and native AOT trims it safely.
/// </summary>
internal sealed class SimulatorApplication(SimulatorState state) : IHttpApplication<HttpContext>
{
    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public void DisposeContext(HttpContext context, Exception? exception)
    {
    }

    public async Task ProcessRequestAsync(HttpContext context)
    {
        var recorded = await RecordAsync(context).ConfigureAwait(false);
        var finished = false;
        try
        {
            finished = await DispatchAsync(context, recorded).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left (or the server is stopping): there is nobody to answer, and Completed says so.
        }
        finally
        {
            recorded.Complete(finished);
        }
    }

    private Task<bool> DispatchAsync(HttpContext context, RecordedRequest recorded)
    {
        var path = recorded.Path;
        var method = recorded.Method;

        if (path == ChatCompletionEndpoint.Path)
        {
            return HttpMethods.IsPost(method)
                ? ChatCompletionEndpoint.HandleAsync(context, state, recorded)
                : ErrorResponse.MethodNotAllowedAsync(context, state.Ids);
        }

        if (path == AnthropicMessagesEndpoint.Path)
        {
            return HttpMethods.IsPost(method)
                ? AnthropicMessagesEndpoint.HandleAsync(context, state, recorded)
                : ErrorResponse.MethodNotAllowedAsync(context, state.Ids);
        }

        if (path == ModelsEndpoint.Path)
        {
            return HttpMethods.IsGet(method)
                ? ModelsEndpoint.ListAsync(context, state)
                : ErrorResponse.MethodNotAllowedAsync(context, state.Ids);
        }

        if (path.StartsWith(ModelsEndpoint.ItemPrefix, StringComparison.Ordinal))
        {
            return HttpMethods.IsGet(method)
                ? ModelsEndpoint.RetrieveAsync(context, state, path[ModelsEndpoint.ItemPrefix.Length..])
                : ErrorResponse.MethodNotAllowedAsync(context, state.Ids);
        }

        if (OAuthEndpoints.Matches(path))
        {
            return OAuthEndpoints.HandleAsync(context, state, recorded);
        }

        if (EchoEndpoint.Matches(path))
        {
            return EchoEndpoint.HandleAsync(context, recorded);
        }

        return ErrorResponse.NotFoundAsync(context, state.Ids);
    }

    // Recording needs the whole body, so it is read before routing; the entry is logged before any response byte.
    private async Task<RecordedRequest> RecordAsync(HttpContext context)
    {
        var request = context.Request;
        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = values.Count == 1 ? values[0] ?? string.Empty : string.Join(", ", values.ToArray());
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(request).ConfigureAwait(false);
        }
        catch
        {
            // Still log what arrived: a request whose body never completed is exactly what abort tests look for.
            var partial = new RecordedRequest(request.Method, request.Path.Value ?? string.Empty,
                request.QueryString.Value ?? string.Empty, headers, []);
            Keep(partial);
            partial.Complete(false);
            throw;
        }

        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? string.Empty,
            request.QueryString.Value ?? string.Empty, headers, body);
        Keep(recorded);
        return recorded;
    }

    // Long demo and load runs switch recording off so that memory stays flat.
    private void Keep(RecordedRequest recorded)
    {
        if (state.Options.RecordRequests)
        {
            state.Requests.Add(recorded);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength == 0)
        {
            return [];
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                var bytes = result.Buffer.IsEmpty ? [] : result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }

            // Examine everything, consume nothing: the pipe keeps buffering until the body is complete.
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
