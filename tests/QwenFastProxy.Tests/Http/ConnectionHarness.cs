using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using QwenFastProxy.Http;
using QwenFastProxy.TestCorpus;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// One connection loop driven through in-memory pipes: what a client writes goes into the transport's input,
/// and the responses are parsed back out of its output (<see cref="Responses"/>). Time is fake; every wait is bounded.
/// </summary>
internal sealed class ConnectionHarness : IAsyncDisposable
{
    /// <summary>The longest any wait of these tests may take: past it, the wait fails instead of hanging.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static readonly PipeOptions Options = new(pauseWriterThreshold: 0, useSynchronizationContext: false);

    private readonly Pipe _input = new(Options);
    private readonly Pipe _output = new(Options);
    private readonly DefaultConnectionContext _context;

    public ConnectionHarness(HttpLimits? limits = null, Func<RequestContext, ValueTask>? respond = null)
    {
        Handler = new RecordingHandler(respond);
        _context = new DefaultConnectionContext(
            "test",
            transport: new DuplexPipe(_input.Reader, _output.Writer),
            application: new DuplexPipe(_output.Reader, _input.Writer));
        _context.Features.Set<IConnectionLifetimeNotificationFeature>(Lifetime);
        Responses = new ResponseReader(_output.Reader);
        Connection = new ProxyConnectionHandler(Handler, limits ?? new HttpLimits(), AccessLog, Time).OnConnectedAsync(_context);
    }

    public RecordingHandler Handler { get; }

    public RecordingAccessLog AccessLog { get; } = new();

    public TestClock Time { get; } = new();

    public LifetimeNotification Lifetime { get; } = new();

    public ResponseReader Responses { get; }

    /// <summary>The connection loop; completes when the connection is over.</summary>
    public Task Connection { get; }

    public Task SendAsync(string text) => SendAsync(Decode(text));

    public async Task SendAsync(byte[] bytes) => await _input.Writer.WriteAsync(bytes).AsTask().WaitAsync(Bound);

    /// <summary>The client closes its side (FIN).</summary>
    public async Task CloseInputAsync() => await _input.Writer.CompleteAsync();

    public Task WaitForEndAsync() => Connection.WaitAsync(Bound);

    public async ValueTask DisposeAsync()
    {
        await _input.Writer.CompleteAsync();
        try
        {
            await Connection.WaitAsync(Bound);
        }
        finally
        {
            await _output.Reader.CompleteAsync();
            await _context.DisposeAsync();
            Lifetime.Dispose();
        }
    }

    /// <summary>
    /// Checks an OpenAI-shaped error answer: its status, a JSON body of the length announced, the error object's
    /// three members filled in, and <c>Connection: close</c> unless the connection stays open.
    /// </summary>
    public static void AssertOpenAiError(RawResponse response, int expectedStatus, bool closes = true)
    {
        Assert.Equal(expectedStatus, response.Status);
        Assert.Equal("application/json", response.Header("Content-Type"));
        Assert.Equal(closes ? "close" : null, response.Header("Connection"));
        Assert.Equal(Encoding.UTF8.GetByteCount(response.Body).ToString(CultureInfo.InvariantCulture), response.Header("Content-Length"));

        using var json = JsonDocument.Parse(response.Body);
        var root = Assert.Single(json.RootElement.EnumerateObject());
        Assert.Equal("error", root.Name);
        var error = root.Value;
        Assert.Equal(["message", "type", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(expectedStatus >= 500 ? "server_error" : "invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("code").GetString()));
    }
}

internal sealed record RecordedRequest(string Method, string Target, string Body, string? Host, string? XTest, bool IsHttp10, bool KeepAlive)
{
    public string? ContentType { get; init; }
}

internal sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

/// <summary>Records every request; answers with an echo unless told otherwise.</summary>
internal sealed class RecordingHandler(Func<RequestContext, ValueTask>? respond) : IRequestHandler
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public ValueTask HandleAsync(RequestContext context)
    {
        var request = context.Request;
        var recorded = new RecordedRequest(
            Latin1(request.MethodBytes),
            request.TargetString(),
            Encoding.UTF8.GetString(request.Body.Span),
            request.Headers.GetString("Host"u8),
            request.Headers.GetString("X-Test"u8),
            request.IsHttp10,
            request.KeepAlive)
        {
            ContentType = request.Headers.GetString("Content-Type"u8),
        };
        _requests.Enqueue(recorded);
        if (respond is not null)
        {
            return respond(context);
        }
        var body = Encoding.UTF8.GetBytes($"{recorded.Method} {recorded.Target} [{recorded.Body}]");
        context.Response.WriteComplete(200, "Content-Type: text/plain\r\n"u8, body);
        return ValueTask.CompletedTask;
    }
}

internal sealed class RecordingAccessLog : IAccessLog
{
    private readonly ConcurrentQueue<int> _statuses = new();

    public IReadOnlyList<int> Statuses => [.. _statuses];

    public void RequestCompleted(RequestContext context) => _statuses.Enqueue(context.Response.StatusCode);
}

internal sealed class LifetimeNotification : IConnectionLifetimeNotificationFeature, IDisposable
{
    private readonly CancellationTokenSource _source = new();

    public LifetimeNotification() => ConnectionClosedRequested = _source.Token;

    public CancellationToken ConnectionClosedRequested { get; set; }

    public void RequestClose() => _source.Cancel();

    public void Dispose() => _source.Dispose();
}
