using System.Net;
using System.Text;

namespace QwenFastProxy.Tests.Auth;

/// <summary>An OAuth server stand-in: answers from a function, and records every form it received.</summary>
internal sealed class ScriptedHttpHandler(Func<ScriptedHttpHandler.Received, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private readonly List<Received> _received = [];

    public ScriptedHttpHandler(Func<Received, HttpResponseMessage> answer)
        : this(received => Task.FromResult(answer(received)))
    {
    }

    public IReadOnlyList<Received> Requests
    {
        get
        {
            lock (_gate)
            {
                return _received.ToArray();
            }
        }
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Error(HttpStatusCode status, string error) =>
        Json(status, $$"""{"error":"{{error}}","error_description":"test says {{error}}"}""");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
        var form = body.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0].Replace('+', ' ')), p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "");
        var received = new Received(request.RequestUri!.AbsolutePath, form, request.Headers.Accept.ToString());
        lock (_gate)
        {
            _received.Add(received);
        }

        return await answer(received);
    }

    public sealed record Received(string Path, IReadOnlyDictionary<string, string> Form, string Accept)
    {
        public string? Grant => Form.GetValueOrDefault("grant_type");
    }
}
