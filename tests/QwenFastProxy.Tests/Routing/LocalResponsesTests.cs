using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Http;
using QwenFastProxy.Routing;
using QwenFastProxy.Tests.Http;
using QwenFastProxy.Upstream;
using static QwenFastProxy.Tests.Http.ConnectionHarness;

namespace QwenFastProxy.Tests.Routing;

/// <summary>
/// The answers the proxy gives itself (models, health, readiness, CORS preflight, 405), written through a
/// <see cref="ResponseOutput"/> into a pipe and read back as a client would.
/// </summary>
public sealed class LocalResponsesTests
{
    [Fact]
    public async Task ListsTheCatalogsModelsInOpenAisShape()
    {
        var (response, output) = await RespondAsync(LocalResponses.Models);

        AssertJson(response, 200, output);
        using var json = JsonDocument.Parse(response.Body);
        Assert.Equal("list", json.RootElement.GetProperty("object").GetString());
        var models = json.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(ModelCatalog.OAuthModels, models.Select(m => m.GetProperty("id").GetString()));
        foreach (var model in models)
        {
            Assert.Equal(["id", "object", "created", "owned_by"], model.EnumerateObject().Select(p => p.Name));
            Assert.Equal("model", model.GetProperty("object").GetString());
            Assert.Equal("qwen", model.GetProperty("owned_by").GetString());
            Assert.Equal(1754006400, model.GetProperty("created").GetInt64());
        }
    }

    [Fact]
    public async Task AnswersHealthyWithOk()
    {
        var (response, output) = await RespondAsync(LocalResponses.Healthy);

        AssertJson(response, 200, output);
        Assert.Equal("""{"status":"ok"}""", response.Body);
    }

    [Fact]
    public async Task AnswersReadyWithoutAReason()
    {
        var (response, output) = await RespondAsync(r => LocalResponses.Readiness(r, ready: true, reason: null));

        AssertJson(response, 200, output);
        Assert.Equal("""{"status":"ready"}""", response.Body);
    }

    [Fact]
    public async Task AnswersNotReadyWith503AndTheReason()
    {
        var (response, output) = await RespondAsync(r => LocalResponses.Readiness(r, ready: false, reason: "circuit breaker open"));

        AssertJson(response, 503, output);
        Assert.Equal("""{"status":"not_ready","reason":"circuit breaker open"}""", response.Body);
    }

    [Fact]
    public async Task EscapesTheReasonAsJson()
    {
        const string reason = "credentials file \"/home/u/.qwen/x.json\" is corrupt: caf\u00e9\n";

        var (response, _) = await RespondAsync(r => LocalResponses.Readiness(r, ready: false, reason: reason));

        using var json = JsonDocument.Parse(response.Body);
        Assert.Equal(reason, json.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task AnswersAPreflightWithTheCorsAllowancesAndNoBody()
    {
        var (response, output) = await RespondAsync(LocalResponses.Preflight);

        Assert.Equal(204, response.Status);
        Assert.Equal("", response.Body);
        Assert.Null(response.Header("Content-Length"));
        Assert.Null(response.Header("Content-Type"));
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
        Assert.Equal("86400", response.Header("Access-Control-Max-Age"));
        Assert.Equal(
            ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            response.Header("Access-Control-Allow-Methods")!.Split(", "));
        var allowedHeaders = response.Header("Access-Control-Allow-Headers")!.Split(", ");
        Assert.Contains("Authorization", allowedHeaders);
        Assert.Contains("x-api-key", allowedHeaders);
        Assert.Contains("Content-Type", allowedHeaders);
        Assert.Contains("OpenAI-Beta", allowedHeaders);
        Assert.Equal(0, output.BodyBytes);
    }

    [Fact]
    public async Task AnswersMethodNotAllowedWithTheAllowLineGiven()
    {
        var (response, output) = await RespondAsync(
            r => LocalResponses.MethodNotAllowedWith(r, "Content-Type: application/json\r\nAllow: POST, OPTIONS\r\n"u8));

        AssertOpenAiError(response, 405, closes: false);
        Assert.Equal("POST, OPTIONS", response.Header("Allow"));
        Assert.Contains("method_not_allowed", response.Body, StringComparison.Ordinal);
        Assert.Equal(405, output.StatusCode);
    }

    [Fact]
    public async Task ClosesAfterTheAnswerWhenTheConnectionIsNotKeptAlive()
    {
        var (response, _) = await RespondAsync(LocalResponses.Healthy, keepAlive: false);

        Assert.Equal(200, response.Status);
        Assert.Equal("close", response.Header("Connection"));
    }

    /// <summary>
    /// A JSON answer with the common head (Date, Server, any origin allowed), its length announced, kept alive,
    /// and what the access log reads from the output agreeing with what was sent.
    /// </summary>
    private static void AssertJson(RawResponse response, int status, ResponseOutput output)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/json", response.Header("Content-Type"));
        Assert.Equal(Encoding.UTF8.GetByteCount(response.Body).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Null(response.Header("Connection"));
        Assert.Equal("qwenfastproxy", response.Header("Server"));
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
        Assert.NotNull(response.Header("Date"));
        Assert.Equal(status, output.StatusCode);
        Assert.Equal(Encoding.UTF8.GetByteCount(response.Body), output.BodyBytes);
    }

    /// <summary>Writes one answer as the connection would for an HTTP/1.1 request, and reads it back whole.</summary>
    private static async Task<(RawResponse Response, ResponseOutput Output)> RespondAsync(Action<ResponseOutput> write, bool keepAlive = true)
    {
        var pipe = new Pipe();
        var output = new ResponseOutput(pipe.Writer);
        output.Reset(keepAlive, http10: false);

        write(output);
        Assert.True(await output.FlushAsync(CancellationToken.None).AsTask().WaitAsync(Bound));
        await pipe.Writer.CompleteAsync();

        var reader = new ResponseReader(pipe.Reader);
        var response = await reader.ReadResponseAsync();
        await reader.AssertClosedAsync(); // one answer, nothing after it
        return (response, output);
    }
}
