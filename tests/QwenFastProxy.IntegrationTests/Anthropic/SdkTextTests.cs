using Anthropic;
using Anthropic.Models.Messages;
using QwenFastProxy.Simulator;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>Plain text answers through the official Anthropic SDK, whole and streamed, in both modes.</summary>
public sealed class SdkTextTests
{
    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task AWholeAnswerIsTheUpstreamTextAsAMessage(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode);
        using var client = proxy.Client();

        var message = await client.Sdk.Messages.Create(SdkRequests.Text());

        Assert.Equal(["text"], MessageText.BlockTypes(message));
        Assert.Equal(SimulatorOptions.DefaultResponseText, MessageText.Text(message));
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal(SdkProxy.Model, message.Model.Raw());
        // Forward mode relays the upstream's msg_ id; translate mode makes one from the chat completion's.
        Assert.StartsWith("msg_", message.ID, StringComparison.Ordinal);
        Assert.True(message.ID.Length > 4);
        Assert.True(message.Usage.InputTokens > 0);
        Assert.True(message.Usage.OutputTokens > 0);
    }

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task AStreamedAnswerAggregatesToTheUpstreamTextAndItsBytesAreAValidEventStream(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, simulator: new SimulatorOptions { ChunkCount = 12 });
        using var client = proxy.Client();

        var message = await client.Sdk.Messages.CreateStreaming(SdkRequests.Text()).Aggregate();

        Assert.Equal(SimulatorOptions.DefaultResponseText, MessageText.Text(message));
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.Equal(SdkProxy.Model, message.Model.Raw());
        Assert.True(message.Usage.OutputTokens > 0);
        var wire = client.Wire.Single;
        var events = AnthropicEventSequence.Read(wire.Text).AssertValid(wire.Text);
        Assert.Equal(SimulatorOptions.DefaultResponseText, events.Text);
        Assert.Equal("end_turn", events.StopReason);
        Assert.Null(events.Error);
    }

    [Theory]
    [InlineData(MessagesMode.Forward)]
    [InlineData(MessagesMode.Translate)]
    public async Task EachStreamedEventReachesTheSdkInOrder(MessagesMode mode)
    {
        await using var proxy = await SdkProxy.StartAsync(mode, simulator: new SimulatorOptions { ChunkCount = 6 });
        using var client = proxy.Client();

        var types = new List<string>();
        var text = new System.Text.StringBuilder();
        await foreach (var streamed in client.Sdk.Messages.CreateStreaming(SdkRequests.Text()))
        {
            types.Add(streamed.Type.Raw());
            if (streamed.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
            {
                text.Append(piece.Text);
            }
        }

        Assert.Equal("message_start", types[0]);
        Assert.Equal(["message_delta", "message_stop"], types[^2..]);
        Assert.Equal(SimulatorOptions.DefaultResponseText, text.ToString());
    }
}
