using static QwenFastProxy.Tests.Anthropic.Translation;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>
/// The chat-completions body as a whole: the model, sampling settings, streaming with usage, the thinking
/// switch, what is not forwarded, and a request shaped as Claude Code sends one.
/// </summary>
public sealed class ChatRequestWriterTests
{
    private const string Hi = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    [Fact]
    public void WritesTheUpstreamModelAndCopiesTheSamplingSettings()
    {
        var chat = ChatJson($$"""{"model":"claude-sonnet-4-5","max_tokens":4096,"temperature":0.7,"top_p":0.95,"top_k":40,"stop_sequences":["END","\n\nHuman:"],{{Hi}}}""");

        Assert.Equal("""
            {"model":"qwen3-coder-plus","messages":[{"role":"user","content":"Hi"}],"max_tokens":4096,"temperature":0.7,"top_p":0.95,"top_k":40,"stop":["END","\n\nHuman:"]}
            """, chat);
    }

    [Fact]
    public void AsksAStreamForItsUsage()
    {
        var chat = ChatJson($$"""{"model":"m","stream":true,{{Hi}}}""");

        Assert.Equal("""{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}""", chat);
    }

    [Fact]
    public void WritesNothingForAStreamTurnedOff()
    {
        var chat = ChatJson($$"""{"model":"m","stream":false,{{Hi}}}""");

        Assert.Equal("""{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"Hi"}]}""", chat);
    }

    [Fact]
    public void ForwardsNoneOfTheFieldsChatCompletionsDoesNotKnow()
    {
        using var chat = Chat($$"""
            {"model":"m","max_tokens":10,"metadata":{"user_id":"u"},"service_tier":"standard_only","container":"c","mcp_servers":[],"context_management":{},{{Hi}}}
            """);

        Assert.Equal(["model", "messages", "max_tokens"], Keys(chat.RootElement));
    }

    [Theory]
    [InlineData("""
        "thinking":{"type":"enabled","budget_tokens":8000},
        """, true, """
        "enable_thinking":true,"thinking_budget":8000}
        """)]
    [InlineData("""
        "thinking":{"type":"adaptive"},
        """, true, """
        "enable_thinking":true}
        """)]
    [InlineData("""
        "thinking":{"type":"disabled"},
        """, true, """
        "enable_thinking":false}
        """)]
    [InlineData("", true, """
        "enable_thinking":false}
        """)]
    [InlineData("""
        "thinking":{"type":"enabled","budget_tokens":8000},
        """, false, """
        "content":"Hi"}]}
        """)]
    [InlineData("", false, """
        "content":"Hi"}]}
        """)]
    public void SwitchesThinkingOnlyForAModelThatThinks(string thinking, bool modelThinks, string ending)
    {
        var chat = ChatJson($$"""{"model":"m",{{thinking}}{{Hi}}}""", modelThinks);

        Assert.EndsWith(ending, chat, StringComparison.Ordinal);
    }

    [Fact]
    public void TranslatesARequestShapedAsClaudeCodeSendsOne()
    {
        const string Body = """
            {
              "model": "claude-sonnet-4-5-20250929",
              "max_tokens": 32000,
              "stream": true,
              "metadata": {"user_id": "user_abc_account__session_123"},
              "system": [
                {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "You are an interactive CLI tool that helps users with software engineering tasks.", "cache_control": {"type": "ephemeral"}}
              ],
              "tools": [
                {"name": "Read", "description": "Reads a file from the local filesystem.",
                 "input_schema": {"type": "object", "properties": {"file_path": {"type": "string", "description": "The absolute path"}}, "required": ["file_path"], "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}},
                {"name": "Bash", "description": "Runs a command.",
                 "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}
              ],
              "thinking": {"type": "enabled", "budget_tokens": 4000},
              "messages": [
                {"role": "user", "content": [
                  {"type": "text", "text": "<system-reminder>This is a reminder.</system-reminder>"},
                  {"type": "text", "text": "Why does the build fail?", "cache_control": {"type": "ephemeral"}}
                ]},
                {"role": "assistant", "content": [
                  {"type": "thinking", "thinking": "I should read the project file and run the build.", "signature": "ErUBCkYIBRgCIkB"},
                  {"type": "text", "text": "Let me look at the project and run the build."},
                  {"type": "tool_use", "id": "toolu_01A", "name": "Read", "input": {"file_path": "/repo/app.csproj"}},
                  {"type": "tool_use", "id": "toolu_01B", "name": "Bash", "input": {"command": "dotnet build"}}
                ]},
                {"role": "user", "content": [
                  {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "<Project Sdk=\"Microsoft.NET.Sdk\" />"},
                  {"type": "tool_result", "tool_use_id": "toolu_01B", "is_error": true, "content": [{"type": "text", "text": "error CS0246: 'Foo' could not be found"}]},
                  {"type": "text", "text": "Please fix it.", "cache_control": {"type": "ephemeral"}}
                ]}
              ]
            }
            """;

        var chat = ChatJson(Body, modelThinks: true);

        Assert.Equal(
            """{"model":"qwen3-coder-plus","messages":[""" +
            """{"role":"system","content":"You are Claude Code, Anthropic's official CLI for Claude.\n\nYou are an interactive CLI tool that helps users with software engineering tasks."},""" +
            """{"role":"user","content":"<system-reminder>This is a reminder.</system-reminder>\n\nWhy does the build fail?"},""" +
            """{"role":"assistant","content":"Let me look at the project and run the build.","reasoning_content":"I should read the project file and run the build.","tool_calls":[""" +
            """{"id":"toolu_01A","type":"function","function":{"name":"Read","arguments":"{\"file_path\": \"/repo/app.csproj\"}"}},""" +
            """{"id":"toolu_01B","type":"function","function":{"name":"Bash","arguments":"{\"command\": \"dotnet build\"}"}}]},""" +
            """{"role":"tool","tool_call_id":"toolu_01A","content":"<Project Sdk=\"Microsoft.NET.Sdk\" />"},""" +
            """{"role":"tool","tool_call_id":"toolu_01B","content":"error CS0246: 'Foo' could not be found"},""" +
            """{"role":"user","content":"Please fix it."}],""" +
            "\"tools\":[" +
            """{"type":"function","function":{"name":"Read","description":"Reads a file from the local filesystem.","parameters":{"type":"object","properties":{"file_path":{"type":"string","description":"The absolute path"}},"required":["file_path"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}}},""" +
            """{"type":"function","function":{"name":"Bash","description":"Runs a command.","parameters":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}}}],""" +
            "\"parallel_tool_calls\":true,\"max_tokens\":32000," +
            "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"enable_thinking\":true,\"thinking_budget\":4000}",
            chat);
    }
}
