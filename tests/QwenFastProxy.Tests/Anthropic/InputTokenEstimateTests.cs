using System.Text;
using QwenFastProxy.Anthropic;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>What the input estimate counts: texts of every kind, tools, images, and the template's fixed costs.</summary>
public sealed class InputTokenEstimateTests
{
    private const int Base = InputTokenEstimate.ReplyStart + InputTokenEstimate.PerMessage;

    [Fact]
    public void CountsAMessagesTextAndTheTemplateAroundIt() =>
        Assert.Equal(Base + 2, Estimate("""{"model":"m","messages":[{"role":"user","content":"Hello world"}]}"""));

    [Fact]
    public void CountsTheSystemTextAsOneMoreMessage() =>
        Assert.Equal(Base + InputTokenEstimate.PerMessage + 3 + 1 + 1, Estimate("""
            {"model":"m","system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Hi"}],"messages":[{"role":"user","content":"Hello"}]}
            """));

    [Fact]
    public void CountsAClientToolsNameDescriptionAndSchemaButNoServerTool()
    {
        const string Schema = """{"type":"object"}""";
        var expected = Base + 1 + InputTokenEstimate.PerTool + Count("Read") + Count("Reads a file") + Count(Schema);

        Assert.Equal(expected, Estimate($$$"""
            {"model":"m","tools":[{"name":"Read","description":"Reads a file","input_schema":{{{Schema}}}},{"type":"web_search_20250305","name":"web_search"}],
             "messages":[{"role":"user","content":"Hello"}]}
            """));
    }

    [Fact]
    public void CountsReasoningToolCallsToolResultsAndImages()
    {
        const string Input = """{"command":"ls"}""";
        var expected = Base + Base - InputTokenEstimate.ReplyStart
            + Count("Hmm.") + Count("Here.") + InputTokenEstimate.PerMessage + Count("Bash") + Count(Input)
            + InputTokenEstimate.PerMessage + Count("a.txt b.txt") + InputTokenEstimate.PerImage
            + InputTokenEstimate.PerImage;

        Assert.Equal(expected, Estimate($$$"""
            {"model":"m","messages":[
              {"role":"assistant","content":[{"type":"thinking","thinking":"Hmm.","signature":"s"},{"type":"text","text":"Here."},{"type":"tool_use","id":"t","name":"Bash","input":{{{Input}}}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"a.txt b.txt"},{"type":"image","source":{"type":"url","url":"u"}}]},
                                        {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="}}]}]}
            """));
    }

    [Fact]
    public void GrowsWithTheConversation()
    {
        var one = Estimate("""{"model":"m","messages":[{"role":"user","content":"Explain the borrow checker."}]}""");
        var two = Estimate("""{"model":"m","messages":[{"role":"user","content":"Explain the borrow checker."},{"role":"assistant","content":"It tracks lifetimes."},{"role":"user","content":"More."}]}""");

        Assert.True(two > one);
    }

    private static int Count(string text) => TokenEstimate.Count(Encoding.UTF8.GetBytes(text));

    private static int Estimate(string body)
    {
        Assert.True(MessagesRequest.TryParse(Encoding.UTF8.GetBytes(body), out var request, out var error), error);
        using (request)
        {
            return request.EstimateInputTokens();
        }
    }
}
