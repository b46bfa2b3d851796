using System.Text;
using QwenFastProxy.Http;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Tests.Upstream;

/// <summary>
/// Which headers cross the proxy: the identity and credentials every upstream request carries, the few client
/// headers a pass-through request keeps, and the upstream response headers passed back to the client.
/// </summary>
public sealed class UpstreamHeadersTests
{
    [Fact]
    public void TheUserAgentHasTheOfficialClientsShape()
    {
        Assert.Matches(@"^QwenCode/\d+\.\d+\.\d+ \((linux|darwin|win32); [a-z0-9]+\)$", QwenFastProxy.Auth.QwenClientIdentity.UserAgent);
    }

    [Fact]
    public void AddsTheIdentityAndTheCredential()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://upstream.example/v1/chat/completions");

        UpstreamHeaders.AddIdentity(request, "Bearer proxy-token", "qwen-oauth", QwenFastProxy.Auth.QwenClientIdentity.UserAgent);

        Assert.Equal(
            [
                ("authorization", "Bearer proxy-token"),
                ("user-agent", QwenFastProxy.Auth.QwenClientIdentity.UserAgent),
                ("x-dashscope-authtype", "qwen-oauth"),
                ("x-dashscope-cachecontrol", "enable"),
                ("x-dashscope-useragent", QwenFastProxy.Auth.QwenClientIdentity.UserAgent),
            ],
            Sorted(request));
    }

    [Fact]
    public void LeavesOutTheAuthTypeWhenThereIsNone()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://upstream.example/v1/chat/completions");

        UpstreamHeaders.AddIdentity(request, "Bearer api-key", authType: null, "agent/1.0");

        Assert.False(request.Headers.Contains("X-DashScope-AuthType"));
        Assert.Equal("Bearer api-key", Assert.Single(request.Headers.GetValues("Authorization")));
    }

    [Fact]
    public void AChatBodyIsJsonWhateverTheClientClaimed()
    {
        using var content = new ByteArrayContent("{}"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "text/plain; charset=latin1");

        UpstreamHeaders.SetJsonContentType(content);

        Assert.Equal("application/json", content.Headers.ContentType?.ToString());
    }

    [Fact]
    public void CopiesOnlyTheAllowListedClientHeaders()
    {
        var client = Headers(
            ("Host", "127.0.0.1:8143"),
            ("Authorization", "Bearer client-secret"),
            ("x-api-key", "client-secret"),
            ("Cookie", "session=1"),
            ("Connection", "keep-alive"),
            ("User-Agent", "curl/8"),
            ("X-Sim-Fault", "rate_limit"),
            ("accept", "text/event-stream"),
            ("X-Request-Id", "req-1"),
            ("OpenAI-Beta", "assistants=v2"),
            ("Content-Type", "text/plain"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://upstream.example/v1/files") { Content = new ByteArrayContent([]) };

        UpstreamHeaders.CopyClientHeaders(client, request);

        Assert.Equal([("accept", "text/event-stream"), ("openai-beta", "assistants=v2"), ("x-request-id", "req-1")], Sorted(request));
        Assert.Equal("text/plain", request.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public void CopiesNoContentTypeOntoARequestWithoutABody()
    {
        var client = Headers(("Content-Type", "application/json"), ("Accept", "*/*"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://upstream.example/v1/files");

        UpstreamHeaders.CopyClientHeaders(client, request);

        Assert.Null(request.Content);
        Assert.Equal([("accept", "*/*")], Sorted(request));
    }

    [Fact]
    public void KeepsLatin1HeaderValuesByteForByte()
    {
        var client = Headers(("X-Request-Id", "caf\u00e9"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://upstream.example/v1/files");

        UpstreamHeaders.CopyClientHeaders(client, request);

        Assert.Equal("caf\u00e9", Assert.Single(request.Headers.NonValidated["X-Request-Id"]));
    }

    [Fact]
    public void CopiesOnlyTheSimulatorsFaultHeaders()
    {
        var client = Headers(("X-Sim-Fault", "stall"), ("x-sim-request-id", "r-7"), ("X-Sim-Other", "no"), ("Accept", "*/*"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://upstream.example/v1/chat/completions");

        UpstreamHeaders.CopySimulatorHeaders(client, request);

        Assert.Equal([("x-sim-fault", "stall"), ("x-sim-request-id", "r-7")], Sorted(request));
    }

    [Theory]
    [InlineData("text/event-stream", true)]
    [InlineData("text/event-stream; charset=utf-8", true)]
    [InlineData("  Text/Event-Stream  ;charset=utf-8", true)]
    [InlineData("TEXT/EVENT-STREAM", true)]
    [InlineData("application/json", false)]
    [InlineData("text/event-streams", false)]
    [InlineData("text/event", false)]
    [InlineData("text/plain; x=text/event-stream", false)]
    [InlineData("", false)]
    public void RecognisesAnEventStreamContentType(string contentType, bool expected) =>
        Assert.Equal(expected, UpstreamHeaders.IsEventStream(contentType));

    [Theory]
    [InlineData("Retry-After", true)]
    [InlineData("retry-after", true)]
    [InlineData("X-Request-Id", true)]
    [InlineData("x-ratelimit-remaining-requests", true)]
    [InlineData("X-RateLimit-Limit-Tokens", true)]
    [InlineData("x-dashscope-call-gateway", true)]
    [InlineData("x-ratelimit", false)]
    [InlineData("X-Request-Ids", false)]
    [InlineData("Content-Type", false)]
    [InlineData("Content-Length", false)]
    [InlineData("Transfer-Encoding", false)]
    [InlineData("Connection", false)]
    [InlineData("Keep-Alive", false)]
    [InlineData("Set-Cookie", false)]
    [InlineData("Server", false)]
    [InlineData("Date", false)]
    public void PassesOnlyHintsAndIdsBackToTheClient(string name, bool expected) =>
        Assert.Equal(expected, UpstreamHeaders.IsForwardedResponseHeader(name));

    private static RequestHeaders Headers(params (string Name, string Value)[] fields)
    {
        var headers = new RequestHeaders(4096);
        foreach (var (name, value) in fields)
        {
            Assert.True(headers.TryAdd(Encoding.ASCII.GetBytes(name), Encoding.Latin1.GetBytes(value)));
        }
        return headers;
    }

    /// <summary>
    /// The request's own headers (not the content's), one value each, sorted by name and the name in lower case:
    /// names compare case-insensitively, and HttpClient spells the ones it knows its own way ("X-Request-ID").
    /// </summary>
    private static List<(string Name, string Value)> Sorted(HttpRequestMessage request) =>
        [.. request.Headers.NonValidated
            .Select(header => (header.Key.ToLowerInvariant(), Assert.Single(header.Value)))
            .OrderBy(header => header.Item1, StringComparer.Ordinal)];
}
