using System.Net;
using System.Text.Json;
using Anthropic.Exceptions;
using Anthropic.Models;
using QwenFastProxy.IntegrationTests.Infrastructure;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>The SDK's <c>x-api-key</c> as the proxy's client key, and the headers that do and do not go upstream.</summary>
public sealed class SdkClientKeyTests
{
    private const string ProxyKey = "sk-proxy-client-one";

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task TheSdksKeyIsAcceptedAndAWrongOneGetsAnthropicsAuthenticationError(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, o => o with { ProxyApiKeys = [ProxyKey] });

        using (var client = proxy.Client(ProxyKey))
        {
            var message = await client.Sdk.Messages.Create(SdkRequests.Text());
            Assert.Equal(SdkProxy.Model, message.Model.Raw());
        }

        using var wrong = proxy.Client("sk-proxy-wrong");
        var thrown = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => wrong.Sdk.Messages.Create(SdkRequests.Text()));
        Assert.Equal(HttpStatusCode.Unauthorized, thrown.StatusCode);
        Assert.Equal(ErrorType.AuthenticationError, thrown.Type?.Value());
        using var body = JsonDocument.Parse(wrong.Wire.Single.Text);
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("authentication_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("error").GetProperty("message").GetString()));
        // Refused at the door: only the accepted request went upstream.
        Assert.Single(proxy.Simulator.Requests.Snapshot());
    }

    [Fact]
    public async Task ForwardModeSendsTheVersionAndBetaHeadersUpstreamButNeverTheClientsKey()
    {
        await using var proxy = await SdkProxy.StartAsync(MessagesMode.Forward);
        using var client = proxy.Client(headers: new Dictionary<string, string> { ["anthropic-beta"] = "fine-grained-tool-streaming-2025-05-14" });

        await client.Sdk.Messages.Create(SdkRequests.Text());

        var sent = client.Wire.Single.RequestHeaders;
        var upstream = Assert.Single(proxy.Simulator.Requests.Snapshot()).Headers;
        Assert.Equal(sent["anthropic-version"], upstream["anthropic-version"]);
        Assert.Equal("fine-grained-tool-streaming-2025-05-14", upstream["anthropic-beta"]);
        Assert.False(upstream.ContainsKey("x-api-key"));
        Assert.Equal("Bearer " + ProxyHarness.UpstreamToken, upstream["Authorization"]);
        Assert.DoesNotContain(upstream.Values, v => v.Contains(SdkProxy.ClientKey, StringComparison.Ordinal));
    }
}
