using System.Text.Json;
using static QwenFastProxy.Tests.Anthropic.Translation;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>Client tools as chat functions, server tools left out, tool_choice and parallel calls.</summary>
public sealed class ChatToolsWriterTests
{
    private const string Read = """{"name":"Read","description":"Reads a file","input_schema":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}""";

    [Fact]
    public void WritesAClientToolAsAFunction()
    {
        using var chat = Request($"[{Read}]");

        Assert.Equal("""
            [{"type":"function","function":{"name":"Read","description":"Reads a file","parameters":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}}]
            """, chat.RootElement.GetProperty("tools").GetRawText());
    }

    [Fact]
    public void GivesAnObjectSchemaWithoutPropertiesAnEmptyOne()
    {
        using var chat = Request("""[{"name":"Now","type":"custom","input_schema":{"type":"object","additionalProperties":false}},{"name":"Bare"}]""");

        var tools = chat.RootElement.GetProperty("tools");
        Assert.Equal("""{"name":"Now","parameters":{"type":"object","additionalProperties":false,"properties":{}}}""", tools[0].GetProperty("function").GetRawText());
        Assert.Equal("""{"name":"Bare","parameters":{"type":"object","properties":{}}}""", tools[1].GetProperty("function").GetRawText());
    }

    [Fact]
    public void LeavesOutServerTools()
    {
        using var chat = Request($$"""[{"type":"web_search_20250305","name":"web_search","max_uses":3},{{Read}},{"type":"bash_20250124","name":"bash"}]""");

        var tool = Assert.Single(chat.RootElement.GetProperty("tools").EnumerateArray());
        Assert.Equal("Read", tool.GetProperty("function").GetProperty("name").GetString());
    }

    [Fact]
    public void WritesNoToolFieldsWhenOnlyServerToolsWereSent()
    {
        using var chat = Request("""[{"type":"web_search_20250305","name":"web_search"}]""", """ "tool_choice":{"type":"any"}, """);

        Assert.False(chat.RootElement.TryGetProperty("tools", out _));
        Assert.False(chat.RootElement.TryGetProperty("tool_choice", out _));
        Assert.False(chat.RootElement.TryGetProperty("parallel_tool_calls", out _));
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"", true)]
    [InlineData("""{"type":"any"}""", "\"required\"", true)]
    [InlineData("""{"type":"none"}""", "\"none\"", true)]
    [InlineData("""{"type":"tool","name":"Read"}""", """{"type":"function","function":{"name":"Read"}}""", true)]
    [InlineData("""{"type":"auto","disable_parallel_tool_use":true}""", "\"auto\"", false)]
    [InlineData("""{"type":"any","disable_parallel_tool_use":false}""", "\"required\"", true)]
    public void MapsToolChoiceAndParallelUse(string choice, string expected, bool parallel)
    {
        using var chat = Request($"[{Read}]", $""" "tool_choice":{choice}, """);

        Assert.Equal(expected, chat.RootElement.GetProperty("tool_choice").GetRawText());
        Assert.Equal(parallel, chat.RootElement.GetProperty("parallel_tool_calls").GetBoolean());
    }

    [Fact]
    public void AsksForParallelCallsWithoutAToolChoice()
    {
        using var chat = Request($"[{Read}]");

        Assert.False(chat.RootElement.TryGetProperty("tool_choice", out _));
        Assert.True(chat.RootElement.GetProperty("parallel_tool_calls").GetBoolean());
    }

    private static JsonDocument Request(string tools, string extra = "") =>
        Chat($$"""{"model":"m",{{extra}}"tools":{{tools}},"messages":[{"role":"user","content":"Hi"}]}""");
}
