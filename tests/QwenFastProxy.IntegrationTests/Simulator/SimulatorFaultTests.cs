using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Resilience;
using QwenFastProxy.Simulator;

namespace QwenFastProxy.IntegrationTests.Simulator;

/// <summary>
/// The simulator's injected faults, driven directly (HttpClient to the simulator) through <c>X-Sim-Fault</c> /
/// <c>X-Sim-Request-Id</c> and the seeded <see cref="FaultSettings"/>. Where a fault surfaces as an exception, the
/// test also checks that <see cref="UpstreamFailureClassifier"/> sorts that real exception as the proxy will need.
/// </summary>
public sealed class SimulatorFaultTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private const string TextRequest = """{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"Hi"}]}""";
    private const string StreamRequest = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

    private readonly CancellationTokenSource _timeout = new(Bound);
    private QwenSimulator _sim = null!;
    private HttpClient _http = null!;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        _sim = await QwenSimulator.StartAsync(cancellationToken: Ct);
        _sim.Options.ChunkCount = 4;
        // No connection reuse (a fault that cuts a connection must not leave the next request a dead socket), and no
        // draining of abandoned bodies: a test that walks away from a stall closes the connection at once.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, MaxResponseDrainSize = 0 }) { Timeout = Bound };
    }

    public async Task DisposeAsync() => await _sim.DisposeAsync();

    public void Dispose()
    {
        _http.Dispose();
        _timeout.Dispose();
    }

    [Theory]
    [InlineData("500", 500, "internal_error")]
    [InlineData("503", 503, "service_unavailable")]
    public async Task ServerErrorsAnswerWithQwensJsonShape(string kind, int status, string code)
    {
        using var response = await PostAsync(TextRequest, kind);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Headers.RetryAfter);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(code, doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(UpstreamOutcome.ServerError, UpstreamFailureClassifier.Classify(status, await BodyBytesAsync(response)));
    }

    [Fact]
    public async Task BadGatewayIsAnHtmlPageAsAGatewaySendsIt()
    {
        using var response = await PostAsync(TextRequest, "502");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("502 Bad Gateway", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(UpstreamOutcome.ServerError, UpstreamFailureClassifier.Classify(502, await BodyBytesAsync(response)));
    }

    [Fact]
    public async Task ServerErrorCarriesRetryAfterWhenAskedTo()
    {
        using var response = await PostAsync(TextRequest, "503;retry-after=4");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(4), response.Headers.RetryAfter?.Delta);
    }

    [Theory]
    [InlineData("429", 1)]
    [InlineData("rate-limit;retry-after=7", 7)]
    [InlineData("429;retry-after=0", 0)]
    public async Task RateLimitIs429WithRetryAfterSeconds(string header, int seconds)
    {
        using var response = await PostAsync(TextRequest, header);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(seconds), response.Headers.RetryAfter?.Delta);
        Assert.Equal(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(response.Headers.GetValues("Retry-After")));
        var body = await BodyBytesAsync(response);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("rate_limit_exceeded", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(UpstreamOutcome.RateLimited, UpstreamFailureClassifier.Classify(429, body));
    }

    [Fact]
    public async Task QuotaIs429InsufficientQuotaWithoutRetryAfter()
    {
        using var response = await PostAsync(TextRequest, "quota");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Null(response.Headers.RetryAfter);
        var body = await BodyBytesAsync(response);
        using var doc = JsonDocument.Parse(body);
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal("insufficient_quota", error.GetProperty("code").GetString());
        Assert.Equal("Free allocated quota exceeded.", error.GetProperty("message").GetString());
        Assert.Equal(UpstreamOutcome.QuotaExhausted, UpstreamFailureClassifier.Classify(429, body));
    }

    [Fact]
    public async Task FaultsStrikeBeforeTheTokenCheck()
    {
        _sim.Options.RequiredBearerToken = "secret";

        using var response = await PostAsync(TextRequest, "503");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task FirstNAttemptsOfARequestIdFailThenItSucceeds()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await PostAsync(TextRequest, "503;first=2", "req-a");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK, HttpStatusCode.OK], statuses);
        Assert.Equal(4, _sim.Attempts("req-a"));
    }

    [Fact]
    public async Task AttemptsAreCountedPerRequestIdWithOrWithoutAFault()
    {
        using (await PostAsync(TextRequest, fault: null, requestId: "plain")) { }
        using (await PostAsync(TextRequest, fault: null, requestId: "plain")) { }
        using (await PostAsync(TextRequest, "500;first=1", "other")) { }

        Assert.Equal(2, _sim.Attempts("plain"));
        Assert.Equal(1, _sim.Attempts("other"));
        Assert.Equal(0, _sim.Attempts("never-sent"));
    }

    [Fact]
    public async Task FirstWithoutARequestIdCountsUnderTheEmptyId()
    {
        using var first = await PostAsync(TextRequest, "500;first=1");
        using var second = await PostAsync(TextRequest, "500;first=1");

        Assert.Equal(HttpStatusCode.InternalServerError, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, _sim.Attempts(""));
    }

    [Theory]
    [InlineData("teapot")]
    [InlineData("503;first")]
    [InlineData("503;first=-1")]
    [InlineData("503;after=x")]
    [InlineData("503;colour=2")]
    public async Task AFaultHeaderThatDoesNotParseIsA400(string header)
    {
        using var response = await PostAsync(TextRequest, header);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains(FaultHeaders.Fault, doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetAbortsTheConnectionBeforeTheHead()
    {
        var exception = await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(TextRequest, "reset", "reset-1"));

        Assert.Equal(UpstreamOutcome.ResetBeforeHeaders, UpstreamFailureClassifier.Classify(exception, false, CancellationToken.None, CancellationToken.None));
        Assert.False(await Assert.Single(_sim.Requests.Snapshot()).Completed.WaitAsync(Ct));
        Assert.Equal(1, _sim.Attempts("reset-1"));
    }

    [Fact]
    public async Task ResetFirstOnceThenTheRetrySucceeds()
    {
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(TextRequest, "reset;first=1", "r"));
        using var retry = await PostAsync(TextRequest, "reset;first=1", "r");

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(2, _sim.Attempts("r"));
    }

    [Fact]
    public async Task AClosedPortIsAConnectFailure()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now: the connection is refused

        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/v1/chat/completions")
        {
            Content = new StringContent(TextRequest, Encoding.UTF8, "application/json"),
        };
        var exception = await Assert.ThrowsAsync<HttpRequestException>(() => _http.SendAsync(request, Ct));

        Assert.Equal(UpstreamOutcome.ConnectFailure, UpstreamFailureClassifier.Classify(exception, false, CancellationToken.None, CancellationToken.None));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task ResetMidStreamDeliversNChunksThenBreaksTheStream(int after)
    {
        using var response = await PostAsync(StreamRequest, $"reset-mid-stream;after={after}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var frames = new List<string>();

        var exception = await Assert.ThrowsAnyAsync<Exception>(() => ReadFramesAsync(response, frames));

        Assert.True(exception is IOException or HttpRequestException, exception.ToString());
        Assert.DoesNotContain("[DONE]", frames);
        // The role chunk, then exactly `after` content chunks.
        Assert.Equal(1 + after, frames.Count);
        Assert.All(frames, f => JsonDocument.Parse(f).Dispose());
        Assert.Equal(UpstreamOutcome.AfterFirstByte, UpstreamFailureClassifier.Classify(exception, true, CancellationToken.None, CancellationToken.None));
        Assert.False(await Assert.Single(_sim.Requests.Snapshot()).Completed.WaitAsync(Ct));
    }

    [Fact]
    public async Task ResetMidStreamOfAToolCallCountsItsFragments()
    {
        const string toolRequest = """{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"search_docs"}}]}""";
        using var response = await PostAsync(toolRequest, "reset-mid-stream;after=1");
        var frames = new List<string>();

        await Assert.ThrowsAnyAsync<Exception>(() => ReadFramesAsync(response, frames));

        Assert.Equal(2, frames.Count); // role, then the call's first fragment
        Assert.Contains("search_docs", frames[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetMidBodyOfANonStreamingAnswerEndsTheBodyEarly()
    {
        using var response = await PostAsync(TextRequest, "reset-mid-stream");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(512, response.Content.Headers.ContentLength);
        var exception = await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync(Ct));
        Assert.True(exception is IOException or HttpRequestException, exception.ToString());
    }

    [Fact]
    public async Task MalformedFrameMidStreamIsOneBadFrameInAnOtherwiseWholeStream()
    {
        using var response = await PostAsync(StreamRequest, "malformed;after=2");
        var frames = new List<string>();

        await ReadFramesAsync(response, frames);

        Assert.Equal("[DONE]", frames[^1]);
        var bad = frames.SkipLast(1).Where(f => !IsJson(f)).ToList();
        Assert.Single(bad);
        Assert.Equal(3, frames.IndexOf(bad[0])); // role + 2 content chunks before it
        var text = string.Concat(frames.SkipLast(1).Where(IsJson).Select(ContentOf));
        Assert.Equal(SimulatorOptions.DefaultResponseText, text);
        Assert.True(await Assert.Single(_sim.Requests.Snapshot()).Completed.WaitAsync(Ct));
    }

    [Fact]
    public async Task MalformedNonStreamingAnswerIsA200ThatIsNotJson()
    {
        using var response = await PostAsync(TextRequest, "malformed");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(IsJson(await response.Content.ReadAsStringAsync(Ct)));
    }

    [Fact]
    public async Task StallSendsTheHeadThenNothingUntilTheClientLeaves()
    {
        var response = await PostAsync(StreamRequest, "stall");
        RecordedRequest recorded;
        try
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            recorded = Assert.Single(_sim.Requests.Snapshot());
            var body = await response.Content.ReadAsStreamAsync(Ct);
            var read = body.ReadAsync(new byte[64], Ct).AsTask();
            // Still silent while the client waits: the simulator holds the response open.
            Assert.False(read.IsCompleted);
            Assert.False(recorded.Completed.IsCompleted);
        }
        finally
        {
            response.Dispose(); // the client leaves
        }

        Assert.False(await recorded.Completed.WaitAsync(Ct));
    }

    [Fact]
    public async Task StallAfterChunksDeliversThemThenGoesSilent()
    {
        var response = await PostAsync(StreamRequest, "stall;after=2");
        RecordedRequest recorded;
        try
        {
            recorded = Assert.Single(_sim.Requests.Snapshot());
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            for (var frame = 0; frame < 3; frame++)
            {
                var line = await reader.ReadLineAsync(Ct);
                Assert.StartsWith("data: {", line, StringComparison.Ordinal);
                Assert.Equal("", await reader.ReadLineAsync(Ct));
            }
            Assert.False(recorded.Completed.IsCompleted);
        }
        finally
        {
            response.Dispose();
        }

        Assert.False(await recorded.Completed.WaitAsync(Ct));
    }

    [Fact]
    public async Task StallOfANonStreamingAnswerSendsTheHeadOnly()
    {
        var response = await PostAsync(TextRequest, "stall");
        try
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            response.Dispose();
        }

        Assert.False(await Assert.Single(_sim.Requests.Snapshot()).Completed.WaitAsync(Ct));
    }

    [Fact]
    public async Task SeededRateFailsAReproducibleShareOfAttempts()
    {
        var first = await RunSeededAsync(_sim, rate: 0.3, seed: 42, attempts: 200);
        await using var other = await QwenSimulator.StartAsync(cancellationToken: Ct);
        var second = await RunSeededAsync(other, rate: 0.3, seed: 42, attempts: 200);

        Assert.Equal(first, second); // same seed, same sequence
        var failures = first.Count(s => s == HttpStatusCode.ServiceUnavailable);
        Assert.InRange(failures, 40, 80); // 30% of 200, with a generous margin (the count is fixed by the seed)
        Assert.All(first, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable));
    }

    [Fact]
    public async Task SeededRateOfOneFailsEveryAttemptAndAHeaderStillWins()
    {
        _sim.Options.Faults.Kind = SimulatedFault.RateLimited;
        _sim.Options.Faults.RetryAfterSeconds = 3;
        _sim.Options.Faults.Rate = 1.0;

        using var seeded = await PostAsync(TextRequest);
        using var chosen = await PostAsync(TextRequest, "500");

        Assert.Equal(HttpStatusCode.TooManyRequests, seeded.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), seeded.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.InternalServerError, chosen.StatusCode);
    }

    [Fact]
    public async Task SeededRateWithoutAKindInjectsNothing()
    {
        _sim.Options.Faults.Rate = 1.0;

        using var response = await PostAsync(TextRequest);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SeededMidStreamFaultsBreakStreams()
    {
        _sim.Options.Faults.Kind = SimulatedFault.ResetMidStream;
        _sim.Options.Faults.AfterChunks = 1;
        _sim.Options.Faults.Rate = 1.0;

        using var response = await PostAsync(StreamRequest);
        var frames = new List<string>();

        await Assert.ThrowsAnyAsync<Exception>(() => ReadFramesAsync(response, frames));
        Assert.Equal(2, frames.Count);
    }

    [Fact]
    public async Task SeededMixDrawsEachKindAndCountsEveryAttempt()
    {
        _sim.Options.RecordRequests = false;
        _sim.Options.Faults.Mix = [SimulatedFault.InternalServerError, SimulatedFault.BadGateway, SimulatedFault.ServiceUnavailable];
        _sim.Options.Faults.Seed = 7;
        _sim.Options.Faults.Rate = 1.0;
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 60; i++)
        {
            using var response = await PostAsync(TextRequest);
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.InternalServerError, statuses);
        Assert.Contains(HttpStatusCode.BadGateway, statuses);
        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.DoesNotContain(HttpStatusCode.OK, statuses);
        Assert.Equal(60, _sim.ChatAttempts);
        Assert.Equal(60, _sim.InjectedFaults);
    }

    [Fact]
    public void FaultKindNamesParseAsTheHeaderSpellsThem()
    {
        Assert.True(FaultHeaders.TryParseKind("reset", out var reset));
        Assert.Equal(SimulatedFault.ResetBeforeHeaders, reset);
        Assert.True(FaultHeaders.TryParseKind(" 502 ", out var badGateway));
        Assert.Equal(SimulatedFault.BadGateway, badGateway);
        Assert.False(FaultHeaders.TryParseKind("teapot", out _));
    }

    private async Task<List<HttpStatusCode>> RunSeededAsync(QwenSimulator simulator, double rate, int seed, int attempts)
    {
        simulator.Options.RecordRequests = false;
        simulator.Options.Faults.Kind = SimulatedFault.ServiceUnavailable;
        simulator.Options.Faults.Seed = seed;
        simulator.Options.Faults.Rate = rate;
        var statuses = new List<HttpStatusCode>(attempts);
        for (var i = 0; i < attempts; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(simulator.BaseUrl + "/chat/completions"))
            {
                Content = new StringContent(TextRequest, Encoding.UTF8, "application/json"),
            };
            using var response = await _http.SendAsync(request, Ct);
            statuses.Add(response.StatusCode);
        }
        return statuses;
    }

    private async Task<HttpResponseMessage> PostAsync(string body, string? fault = null, string? requestId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_sim.BaseUrl + "/chat/completions"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (fault is not null)
        {
            request.Headers.TryAddWithoutValidation(FaultHeaders.Fault, fault);
        }
        if (requestId is not null)
        {
            request.Headers.TryAddWithoutValidation(FaultHeaders.RequestId, requestId);
        }
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
    }

    private async Task<byte[]> BodyBytesAsync(HttpResponseMessage response) => await response.Content.ReadAsByteArrayAsync(Ct);

    // Reads "data: …" frames until the stream ends (or throws), collecting each payload as it arrives.
    private async Task ReadFramesAsync(HttpResponseMessage response, List<string> frames)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            Assert.StartsWith("data: ", line, StringComparison.Ordinal);
            frames.Add(line["data: ".Length..]);
        }
    }

    private static bool IsJson(string text)
    {
        try
        {
            JsonDocument.Parse(text).Dispose();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string ContentOf(string frame)
    {
        using var doc = JsonDocument.Parse(frame);
        var choices = doc.RootElement.GetProperty("choices");
        return choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out var content)
            ? content.GetString() ?? ""
            : "";
    }
}
