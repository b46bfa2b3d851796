using System.Net.Http;
using QwenFastProxy.Configuration;
using QwenFastProxy.Http;
using QwenFastProxy.Routing;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Tests.Routing;

public sealed class MessagesEndpointTests
{
    [Theory]
    [InlineData("/v1/messages", RequestRoute.Messages)]
    [InlineData("/v1/messages/count_tokens", RequestRoute.CountTokens)]
    [InlineData("/v1/messages/batches", RequestRoute.Passthrough)]
    [InlineData("/usage", RequestRoute.Usage)]
    public void TheMessagesApiHasItsRoutes(string path, RequestRoute route)
    {
        Assert.Equal(route, RequestRoutes.Of(System.Text.Encoding.ASCII.GetBytes(path)));
    }

    [Theory]
    [InlineData(false, "claude-sonnet-4-5-20250929", "qwen3-coder-plus")]
    [InlineData(false, "claude-3-5-haiku-latest", "qwen-flash")]
    [InlineData(false, "qwen3-max", "qwen3-max")]
    [InlineData(false, "Claude-Opus", "qwen3-coder-plus")]
    [InlineData(true, "claude-sonnet-4-5", "qwen3-coder-plus")]
    [InlineData(true, "qwen3-max", "qwen3-coder-plus")]
    [InlineData(true, "qwen3-coder-flash", "qwen3-coder-flash")]
    public void ModelsAreMappedByAliasesThenTheLoginsRuleThenClaudeNamesGoToTheDefault(bool oauth, string requested, string sent)
    {
        Assert.True(ModelAliases.TryParse("claude-3-5-haiku*=qwen-flash", out var aliases, out _));
        using var client = new HttpMessageInvoker(new SocketsHttpHandler());
        var forwarder = new UpstreamForwarder(client, new QwenFastProxy.Auth.StaticCredentials("k", null), "http://127.0.0.1:1/v1", new UpstreamTimeouts(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        var endpoint = new MessagesEndpoint(forwarder, AnthropicMode.Translate, "http://127.0.0.1:1/apps/anthropic", rewriteUnknownModels: oauth, "qwen3-coder-plus", aliases, metrics: null);

        Assert.Equal(sent, endpoint.UpstreamModel(requested));
    }

    [Theory]
    [InlineData(null, "https://coding-intl.dashscope.aliyuncs.com/v1", "https://coding-intl.dashscope.aliyuncs.com/apps/anthropic")]
    [InlineData(null, "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "https://dashscope-intl.aliyuncs.com/apps/anthropic")]
    [InlineData(null, "http://127.0.0.1:5000/v1", "http://127.0.0.1:5000/apps/anthropic")]
    [InlineData("https://example.test/anthropic", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "https://example.test/anthropic")]
    public void TheAnthropicBaseIsTheApiBasesHostUnlessGiven(string? configured, string apiBase, string expected)
    {
        Assert.Equal(expected, ApiBaseUrl.AnthropicFor(configured, apiBase));
    }
}
