using System.Net;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>Upstream failures as the SDK reports them: its exception types, statuses and Anthropic error types.</summary>
public sealed class SdkFailureTests
{
    private const string CutFault = "reset-mid-stream;after=2";

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task AStreamCutMidWayThrowsAnApiErrorInTheSdk(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, o => o with { RetryMaxAttempts = 0 });
        using var client = proxy.Client(fault: CutFault);

        var thrown = await Assert.ThrowsAsync<AnthropicSseException>(() => client.Sdk.Messages.CreateStreaming(SdkRequests.Text()).Aggregate());

        Assert.Equal(HttpStatusCode.OK, client.Wire.Single.Status);
        Assert.Equal(ErrorType.ApiError, thrown.Type?.Value());
        Assert.Contains("failed in the middle of the response", thrown.ApiMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task AStreamCutMidWayEndsWithAnErrorEventTheCheckerAccepts(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, o => o with { RetryMaxAttempts = 0 });

        // The SDK stops reading at the error event, so the whole transcript is read below it.
        var (status, sse) = await proxy.PostRawAsync(
            "v1/messages", $$"""{"model":"{{SdkProxy.Model}}","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Fix my parser"}]}""", fault: CutFault);

        Assert.Equal(HttpStatusCode.OK, status);
        var events = AnthropicEventSequence.Read(sse);
        Assert.True(events.Error is { } error && error.GetProperty("type").GetString() == "api_error", sse);
        Assert.StartsWith("The safest fix", events.Text, StringComparison.Ordinal);
        if (mode == MessagesMode.Translate)
        {
            // The proxy writes the events itself, so it closes what it opened: a whole, valid sequence around the error.
            events.AssertValid(sse);
            Assert.Equal(["error", "message_delta", "message_stop"], events.EventNames[^3..]);
        }
        else
        {
            // A relayed stream is cut where the upstream cut it: the error event is the last word, and the only
            // faults are the closing events it never got.
            Assert.Equal("error", events.EventNames[^1]);
            Assert.All(events.Violations, v => Assert.StartsWith("the stream ends with", v, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(MessagesMode.Forward, "429", HttpStatusCode.TooManyRequests, ErrorType.RateLimitError)]
    [InlineData(MessagesMode.Translate, "429", HttpStatusCode.TooManyRequests, ErrorType.RateLimitError)]
    [InlineData(MessagesMode.Forward, "529", (HttpStatusCode)529, ErrorType.OverloadedError)]
    [InlineData(MessagesMode.Translate, "529", (HttpStatusCode)529, ErrorType.OverloadedError)]
    public async Task ARefusalReachesTheSdkWithItsStatusAndErrorType(MessagesMode mode, string fault, HttpStatusCode status, ErrorType type)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, o => o with { RetryMaxAttempts = 0 });
        using var client = proxy.Client(fault: fault);

        var thrown = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.Sdk.Messages.Create(SdkRequests.Text()));

        Assert.Equal(status, thrown.StatusCode);
        Assert.Equal(type, thrown.Type?.Value());
        Assert.False(string.IsNullOrEmpty(thrown.ApiMessage));
        if (status == HttpStatusCode.TooManyRequests)
        {
            Assert.IsType<AnthropicRateLimitException>(thrown);
        }
    }

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task AStreamRefusedBeforeItStartsThrowsTheSameError(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, o => o with { RetryMaxAttempts = 0 });
        using var client = proxy.Client(fault: "429");

        var thrown = await Assert.ThrowsAsync<AnthropicRateLimitException>(() => client.Sdk.Messages.CreateStreaming(SdkRequests.Text()).Aggregate());

        Assert.Equal(HttpStatusCode.TooManyRequests, thrown.StatusCode);
        Assert.Equal(ErrorType.RateLimitError, thrown.Type?.Value());
    }

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task AContextOverflowIsABadRequestWordedAsAnthropicWordsIt(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, o => o with { RetryMaxAttempts = 0 });
        using var client = proxy.Client(fault: "context-overflow");

        var thrown = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => client.Sdk.Messages.Create(SdkRequests.Text()));

        Assert.Equal(HttpStatusCode.BadRequest, thrown.StatusCode);
        Assert.Equal(ErrorType.InvalidRequestError, thrown.Type?.Value());
        Assert.StartsWith("prompt is too long", thrown.ApiMessage, StringComparison.Ordinal);
    }
}
