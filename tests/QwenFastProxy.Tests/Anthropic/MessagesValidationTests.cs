using QwenFastProxy.Anthropic;
using static QwenFastProxy.Tests.Anthropic.Translation;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>
/// What <see cref="MessagesRequest.TryParse"/> refuses, with the message the client reads, and what it lets
/// through though Anthropic clients differ on it.
/// </summary>
public sealed class MessagesValidationTests
{
    private const string Hello = """[{"role":"user","content":"Hello"}]""";

    [Theory]
    [InlineData("not json", "the request body is not valid JSON")]
    [InlineData("""[1]""", "the request body must be a JSON object")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}]}""", "model: a string is required")]
    [InlineData("""{"model":5,"messages":[{"role":"user","content":"Hi"}]}""", "model: a string is required")]
    [InlineData("""{"model":"m"}""", "messages: an array is required")]
    [InlineData("""{"model":"m","messages":"Hi"}""", "messages: an array is required")]
    [InlineData("""{"model":"m","messages":[]}""", "messages: at least one message is required")]
    [InlineData("""{"model":"m","messages":[{"role":"system","content":"Hi"}]}""", "messages.0.role: 'user' or 'assistant' is expected")]
    [InlineData("""{"model":"m","messages":[{"role":"user"}]}""", "messages.0.content: a string or an array of content blocks is expected")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":5}]}""", "messages.0.content: a string or an array of content blocks is expected")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}""", "messages.0.content.0: a content block (an object with a type) is expected")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages.0.content.0.text: a string is expected")]
    public void RefusesABodyThatIsNotAMessagesRequest(string body, string error) => Assert.Equal(error, ParseError(body));

    [Theory]
    [InlineData("""{"role":"user","content":[{"type":"document","source":{"type":"text","data":"x"}}]}""", "messages.0.content.0: content block type 'document' is not supported in a user message")]
    [InlineData("""{"role":"user","content":[{"type":"tool_use","id":"t","name":"n","input":{}}]}""", "messages.0.content.0: content block type 'tool_use' is not supported in a user message")]
    [InlineData("""{"role":"assistant","content":[{"type":"image","source":{"type":"url","url":"u"}}]}""", "messages.0.content.0: content block type 'image' is not supported in an assistant message")]
    [InlineData("""{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}}]}""", "messages.0.content.0: content block type 'server_tool_use' is not supported in an assistant message")]
    [InlineData("""{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"search_result"}]}]}""", "messages.0.content.0.content.0: content block type 'search_result' is not supported in a tool result")]
    [InlineData("""{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}""", "messages.0.content.0.source: image source type 'file' is not supported (base64 or url)")]
    [InlineData("""{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"AAAA"}}]}""", "messages.0.content.0.source: a base64 image needs the strings media_type and data")]
    [InlineData("""{"role":"user","content":[{"type":"tool_result","content":"x"}]}""", "messages.0.content.0.tool_use_id: a string is expected")]
    [InlineData("""{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":"x"}]}""", "messages.0.content.0.input: an object is expected")]
    [InlineData("""{"role":"assistant","content":[{"type":"thinking","signature":"s"}]}""", "messages.0.content.0.thinking: a string is expected")]
    public void NamesTheBlockItCannotCarry(string message, string error) =>
        Assert.Equal(error, ParseError($$"""{"model":"m","messages":[{{message}}]}"""));

    [Theory]
    [InlineData("""
        "system":[{"type":"image","source":{"type":"url","url":"u"}}],
        """, "system.0: content block type 'image' is not supported in system (text only)")]
    [InlineData("""
        "system":5,
        """, "system: a string or an array of text blocks is expected")]
    [InlineData("""
        "tools":[{"description":"no name","input_schema":{}}],
        """, "tools.0.name: a string is expected")]
    [InlineData("""
        "tools":[{"name":"n","input_schema":"x"}],
        """, "tools.0.input_schema: an object is expected")]
    [InlineData("""
        "tool_choice":{"type":"some"},
        """, "tool_choice.type: 'auto', 'any', 'tool' or 'none' is expected")]
    [InlineData("""
        "tool_choice":{"type":"tool"},
        """, "tool_choice.name: a string is expected")]
    [InlineData("""
        "thinking":{"type":"on"},
        """, "thinking.type: 'enabled', 'adaptive' or 'disabled' is expected")]
    [InlineData("""
        "thinking":{"type":"enabled","budget_tokens":"lots"},
        """, "thinking.budget_tokens: a positive integer is expected")]
    [InlineData("""
        "max_tokens":"many",
        """, "max_tokens: a positive integer is expected")]
    [InlineData("""
        "temperature":"warm",
        """, "temperature: a number is expected")]
    [InlineData("""
        "stop_sequences":["a",1],
        """, "stop_sequences.1: a string is expected")]
    [InlineData("""
        "stream":"yes",
        """, "stream: a boolean is expected")]
    public void NamesTheFieldItCannotRead(string field, string error) =>
        Assert.Equal(error, ParseError($$"""{"model":"m",{{field}}"messages":{{Hello}}}"""));

    [Fact]
    public void LetsThroughWhatItIgnoresAndWhatClientsLeaveOut()
    {
        const string Body = """
            {"model":"claude-opus-4-1","messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral"}}]}],
             "metadata":{"user_id":"u"},"service_tier":"auto","container":"c","mcp_servers":[{"type":"url","url":"https://x"}],
             "temperature":null,"system":null,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5}],"context_management":{"edits":[]}}
            """;

        Assert.Null(ParseError(Body));
    }

    [Theory]
    [InlineData("", false, false)]
    [InlineData("""
        "stream":true,"thinking":{"type":"enabled","budget_tokens":2048},
        """, true, true)]
    [InlineData("""
        "stream":false,"thinking":{"type":"adaptive"},
        """, false, true)]
    [InlineData("""
        "thinking":{"type":"disabled"},
        """, false, false)]
    public void ReadsTheModelStreamAndThinking(string fields, bool stream, bool thinking)
    {
        Assert.True(MessagesRequest.TryParse(System.Text.Encoding.UTF8.GetBytes($$"""{"model":"claude-haiku-4-5",{{fields}}"messages":{{Hello}}}"""), out var request, out _));
        using (request)
        {
            Assert.Equal("claude-haiku-4-5", request.Model);
            Assert.Equal(stream, request.Stream);
            Assert.Equal(thinking, request.ThinkingRequested);
        }
    }
}
