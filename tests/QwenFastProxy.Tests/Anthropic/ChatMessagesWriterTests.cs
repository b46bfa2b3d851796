using System.Text.Json;
using static QwenFastProxy.Tests.Anthropic.Translation;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>
/// How the system prompt and each turn become chat messages: one system message, tool results as tool
/// messages ahead of the user's text, images as image_url parts, assistant text, reasoning and tool calls.
/// </summary>
public sealed class ChatMessagesWriterTests
{
    private const string Hi = """{"role":"user","content":"Hi"}""";

    [Fact]
    public void WritesASystemStringAsTheLeadingSystemMessage()
    {
        using var messages = Messages($"[{Hi}]", """ "system":"Be brief.", """);

        Assert.Equal("""[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]""", Minified(messages));
    }

    [Fact]
    public void MergesSystemBlocksInOrderWithABlankLineAndDropsEmptyOnes()
    {
        using var messages = Messages($"[{Hi}]", """
            "system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}},{"type":"text","text":""},{"type":"text","text":"Use tools.\nBe brief.","cache_control":{"type":"ephemeral"}}],
            """);

        var system = messages.RootElement[0];
        Assert.Equal(["role", "content"], Keys(system));
        Assert.Equal("system", system.GetProperty("role").GetString());
        Assert.Equal("You are Claude Code.\n\nUse tools.\nBe brief.", system.GetProperty("content").GetString());
        Assert.Equal(2, messages.RootElement.GetArrayLength());
    }

    [Theory]
    [InlineData("""
        "system":"",
        """)]
    [InlineData("""
        "system":[{"type":"text","text":""}],
        """)]
    [InlineData("""
        "system":[],
        """)]
    public void LeavesOutASystemWithNoText(string system)
    {
        using var messages = Messages($"[{Hi}]", system);

        Assert.Equal("""[{"role":"user","content":"Hi"}]""", Minified(messages));
    }

    [Fact]
    public void JoinsAUsersTextBlocksIntoOneStringAndDropsEmptyOnes()
    {
        using var messages = Messages("""
            [{"role":"user","content":[{"type":"text","text":"<system-reminder>ctx</system-reminder>"},{"type":"text","text":""},{"type":"text","text":"Fix the \"bug\"","cache_control":{"type":"ephemeral"}}]}]
            """);

        Assert.Equal("""[{"role":"user","content":"<system-reminder>ctx</system-reminder>\n\nFix the \"bug\""}]""", Minified(messages));
    }

    [Fact]
    public void WritesAMessageWithAnImageAsAContentArray()
    {
        using var messages = Messages("""
            [{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]}]
            """);

        Assert.Equal("""
            [{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]
            """, Minified(messages));
    }

    [Fact]
    public void PutsToolResultsFirstInTheirOrderThenTheUsersText()
    {
        using var messages = Messages("""
            [{"role":"user","content":[
              {"type":"text","text":"Now the tests."},
              {"type":"tool_result","tool_use_id":"toolu_2","content":"two"},
              {"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"line 1"},{"type":"text","text":"line 2"}]}]}]
            """);

        Assert.Equal("""
            [{"role":"tool","tool_call_id":"toolu_2","content":"two"},{"role":"tool","tool_call_id":"toolu_1","content":"line 1\n\nline 2"},{"role":"user","content":"Now the tests."}]
            """, Minified(messages));
    }

    [Fact]
    public void WritesNoUserMessageForATurnOfToolResultsOnly()
    {
        using var messages = Messages("""
            [{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"},{"type":"tool_result","tool_use_id":"t2"}]}]
            """);

        Assert.Equal("""[{"role":"tool","tool_call_id":"t1","content":"ok"},{"role":"tool","tool_call_id":"t2","content":""}]""", Minified(messages));
    }

    [Fact]
    public void KeepsTheTextOfAnErrorResult()
    {
        using var messages = Messages("""
            [{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":"ENOENT: no such file"}]}]
            """);

        Assert.Equal("""[{"role":"tool","tool_call_id":"t1","content":"ENOENT: no such file"}]""", Minified(messages));
    }

    [Fact]
    public void MovesAToolResultsImagesIntoTheUserMessageThatFollows()
    {
        using var messages = Messages("""
            [{"role":"user","content":[
              {"type":"tool_result","tool_use_id":"shot","content":[{"type":"text","text":"Screenshot taken"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}}]},
              {"type":"text","text":"Does it look right?"}]}]
            """);

        Assert.Equal("""
            [{"role":"tool","tool_call_id":"shot","content":"Screenshot taken"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/"}},{"type":"text","text":"Does it look right?"}]}]
            """, Minified(messages));
    }

    [Fact]
    public void WritesAToolResultsImageAloneAsAUserMessage()
    {
        using var messages = Messages("""
            [{"role":"user","content":[{"type":"tool_result","tool_use_id":"shot","content":[{"type":"image","source":{"type":"url","url":"https://x/s.png"}}]}]}]
            """);

        Assert.Equal("""
            [{"role":"tool","tool_call_id":"shot","content":""},{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/s.png"}}]}]
            """, Minified(messages));
    }

    [Theory]
    [InlineData("""{"role":"user","content":""}""")]
    [InlineData("""{"role":"user","content":[]}""")]
    [InlineData("""{"role":"user","content":[{"type":"text","text":""}]}""")]
    public void WritesNoUserMessageWithNothingInIt(string empty)
    {
        using var messages = Messages($"[{Hi},{empty}]");

        Assert.Equal("""[{"role":"user","content":"Hi"}]""", Minified(messages));
    }

    [Fact]
    public void WritesAssistantTextAndToolCallsWithTheInputAsAString()
    {
        using var messages = Messages("""
            [{"role":"user","content":"Read it"},
             {"role":"assistant","content":[{"type":"text","text":"Reading."},{"type":"text","text":""},{"type":"tool_use","id":"toolu_01","name":"Read","input":{"file_path":"/src/a \"b\".cs","limit":10}}]}]
            """);

        var assistant = messages.RootElement[1];
        Assert.Equal(["role", "content", "tool_calls"], Keys(assistant));
        Assert.Equal("Reading.", assistant.GetProperty("content").GetString());
        var call = Assert.Single(assistant.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("""{"id":"toolu_01","type":"function","function":{"name":"Read","arguments":"{\"file_path\":\"/src/a \\\"b\\\".cs\",\"limit\":10}"}}""", call.GetRawText());
        using var arguments = JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!);
        Assert.Equal("/src/a \"b\".cs", arguments.RootElement.GetProperty("file_path").GetString());
    }

    [Fact]
    public void WritesNullContentWhenTheAssistantOnlyCallsTools()
    {
        using var messages = Messages("""
            [{"role":"user","content":"Go"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"Ls","input":{}},{"type":"tool_use","id":"u","name":"Pwd"}]}]
            """);

        Assert.Equal("""
            {"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"Ls","arguments":"{}"}},{"id":"u","type":"function","function":{"name":"Pwd","arguments":"{}"}}]}
            """, messages.RootElement[1].GetRawText());
    }

    [Fact]
    public void WritesThinkingAsReasoningWithoutItsSignatureAndDropsRedactedThinking()
    {
        using var messages = Messages("""
            [{"role":"user","content":"Why?"},
             {"role":"assistant","content":[{"type":"thinking","thinking":"Let me see.","signature":"EqQBCkgIARABGAIiQL"},{"type":"redacted_thinking","data":"EmwKAhgBEgy3va"},{"type":"text","text":"Because."}]}]
            """);

        Assert.Equal("""{"role":"assistant","content":"Because.","reasoning_content":"Let me see."}""", messages.RootElement[1].GetRawText());
        Assert.DoesNotContain("EqQBCkgIARABGAIiQL", messages.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("EmwKAhgBEgy3va", messages.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void WritesAssistantStringContentAsItIs()
    {
        using var messages = Messages($$"""[{{Hi}},{"role":"assistant","content":"Hello!"},{{Hi}}]""");

        Assert.Equal("""{"role":"assistant","content":"Hello!"}""", messages.RootElement[1].GetRawText());
    }

    [Fact]
    public void WritesNoAssistantMessageWithNothingInIt()
    {
        using var messages = Messages($$"""[{{Hi}},{"role":"assistant","content":[{"type":"redacted_thinking","data":"x"},{"type":"text","text":""}]}]""");

        Assert.Equal("""[{"role":"user","content":"Hi"}]""", Minified(messages));
    }

    private static string Minified(JsonDocument document) => document.RootElement.GetRawText();
}
