using Anthropic;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>An SDK client and the recorder of what crossed its wire.</summary>
internal sealed class SdkClient(AnthropicClient sdk, WireRecorder wire) : IDisposable
{
    public AnthropicClient Sdk { get; } = sdk;

    public WireRecorder Wire { get; } = wire;

    public void Dispose() => Sdk.Dispose();
}
