using Anthropic;
using Anthropic.Models.Messages;
using QwenFastProxy.TestCorpus;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>One request through the SDK, whole or streamed, ending in the SDK's Message either way.</summary>
internal static class SdkCalls
{
    /// <summary>
    /// A streamed call is aggregated by the SDK's own aggregator, and the bytes it read must be a valid Anthropic event
    /// stream (checked here, so every streamed call of a test is).
    /// </summary>
    public static async Task<Message> SendAsync(SdkClient client, MessageCreateParams request, bool stream)
    {
        if (!stream)
        {
            return await client.Sdk.Messages.Create(request);
        }
        var message = await client.Sdk.Messages.CreateStreaming(request).Aggregate();
        var wire = client.Wire.Exchanges[^1].Text;
        AnthropicEventSequence.Read(wire).AssertValid(wire);
        return message;
    }

    /// <summary>An answer's blocks as the next request's assistant turn, as an agent replays them.</summary>
    public static List<ContentBlockParam> Replay(Message answer)
    {
        var blocks = new List<ContentBlockParam>();
        foreach (var block in answer.Content)
        {
            if (block.TryPickText(out var text))
            {
                blocks.Add(new TextBlockParam(text.Text));
            }
            else if (block.TryPickThinking(out var thinking))
            {
                blocks.Add(new ThinkingBlockParam { Thinking = thinking.Thinking, Signature = thinking.Signature });
            }
            else if (block.TryPickToolUse(out var toolUse))
            {
                blocks.Add(new ToolUseBlockParam { ID = toolUse.ID, Name = toolUse.Name, Input = toolUse.Input });
            }
            else
            {
                Assert.Fail($"unexpected block {block.Type.Raw()}");
            }
        }
        return blocks;
    }
}
