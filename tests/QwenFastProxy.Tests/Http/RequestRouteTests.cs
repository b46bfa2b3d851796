using System.Text;
using QwenFastProxy.Http;

namespace QwenFastProxy.Tests.Http;

public sealed class RequestRouteTests
{
    [Theory]
    [InlineData("/v1/chat/completions", RequestRoute.Chat)]
    [InlineData("/v1/models", RequestRoute.Models)]
    [InlineData("/v1/embeddings", RequestRoute.Passthrough)]
    [InlineData("/v1/chat/completions/x", RequestRoute.Passthrough)]
    [InlineData("/v1/", RequestRoute.Passthrough)]
    [InlineData("/v1", RequestRoute.NotFound)]
    [InlineData("/V1/models", RequestRoute.NotFound)] // paths are case-sensitive
    [InlineData("/healthz", RequestRoute.Health)]
    [InlineData("/readyz", RequestRoute.Ready)]
    [InlineData("/metrics", RequestRoute.Metrics)]
    [InlineData("/", RequestRoute.StatusPage)]
    [InlineData("/status", RequestRoute.StatusPage)]
    [InlineData("/status.json", RequestRoute.StatusJson)]
    [InlineData("/favicon.ico", RequestRoute.NotFound)]
    [InlineData("", RequestRoute.NotFound)]
    public void EachPathHasItsRoute(string path, RequestRoute expected) =>
        Assert.Equal(expected, RequestRoutes.Of(Encoding.ASCII.GetBytes(path)));
}
