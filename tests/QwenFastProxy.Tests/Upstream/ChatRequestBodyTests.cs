using System.Buffers;
using System.Text;
using System.Text.Json;
using QwenFastProxy.Configuration;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Tests.Upstream;

/// <summary>
/// The one pass over a chat request body that finds its top-level <c>model</c> and <c>stream</c>, and the byte
/// splice that replaces or inserts the model without re-serialising the rest.
/// </summary>
public sealed class ChatRequestBodyTests
{
    [Fact]
    public void FindsAKnownModelAndStreaming()
    {
        var json = """{"model":"qwen3-coder-flash","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

        var body = Parse(json);

        Assert.True(body.Stream);
        Assert.True(body.HasModel);
        Assert.True(body.IsKnownModel);
        // The catalog's own string: known models cost no allocation per request.
        Assert.Same(ModelCatalog.OAuthModels[1], body.Model);
        Assert.Equal("\"qwen3-coder-flash\"", json[body.ModelTokenStart..body.ModelTokenEnd]);
    }

    [Fact]
    public void AnUnknownModelIsReadButNotKnown()
    {
        var body = Parse("""{"messages":[],"model":"gpt-4o"}""");

        Assert.True(body.HasModel);
        Assert.False(body.IsKnownModel);
        Assert.Equal("gpt-4o", body.Model);
        Assert.False(body.Stream);
    }

    [Fact]
    public void AnEscapedModelNameIsDecodedButNotMatchedAgainstTheCatalog()
    {
        var body = Parse("""{"model":"qwen3-coder-plu\u0073"}""");

        Assert.True(body.HasModel);
        Assert.False(body.IsKnownModel);
        Assert.Equal("qwen3-coder-plus", body.Model);
    }

    [Theory]
    [InlineData("""{"model":"m"}""")]
    [InlineData("""{"model":"m","stream":false}""")]
    [InlineData("""{"model":"m","stream":"true"}""")]
    [InlineData("""{"model":"m","stream":1}""")]
    [InlineData("""{"model":"m","stream":null}""")]
    [InlineData("""{"model":"m","messages":[{"stream":true}],"metadata":{"stream":true}}""")]
    public void StreamsOnlyForATopLevelTrue(string json) => Assert.False(Parse(json).Stream);

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"messages":[{"model":"qwen3-coder-plus"}]}""")]
    public void HasNoModelWithoutATopLevelMember(string json)
    {
        var body = Parse(json);

        Assert.False(body.HasModel);
        Assert.False(body.IsKnownModel);
        Assert.Null(body.Model);
    }

    [Theory]
    [InlineData("""{"model":null}""")]
    [InlineData("""{"model":42}""")]
    [InlineData("""{"model":{"name":"qwen3-coder-plus"}}""")]
    public void AModelThatIsNotAStringIsFoundButNamesNoModel(string json)
    {
        var body = Parse(json);

        Assert.True(body.HasModel);
        Assert.False(body.IsKnownModel);
        Assert.Null(body.Model);
    }

    [Theory]
    [InlineData("""{"model":null,"stream":true}""", """{"model":"qwen3-coder-plus","stream":true}""")]
    [InlineData("""{"model":42}""", """{"model":"qwen3-coder-plus"}""")]
    [InlineData("""{"x":1,"model":{"name":"qwen3-coder-plus","v":[1,{"a":2}]},"y":2}""", """{"x":1,"model":"qwen3-coder-plus","y":2}""")]
    [InlineData("""{"model":["a"]}""", """{"model":"qwen3-coder-plus"}""")]
    public void ReplacesAModelThatIsNotAStringRatherThanAddingASecondOne(string json, string expected) =>
        Assert.Equal(expected, Rewrite(json, "qwen3-coder-plus"));

    [Theory]
    [InlineData("[]")]
    [InlineData("[{\"model\":\"m\"}]")]
    [InlineData("\"model\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void RefusesABodyThatIsNotAnObject(string json)
    {
        Assert.False(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Equal("The request body must be a JSON object.", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("{")]
    [InlineData("""{"model":"m""")]
    [InlineData("""{"model":"m",}""")]
    [InlineData("""{"model":'m'}""")]
    [InlineData("""{"model":"m"} {"model":"n"}""")]
    [InlineData("""{"model":"m"}x""")]
    [InlineData("""{/* note */"model":"m"}""")]
    public void RefusesMalformedJsonWithTheReadersReason(string json)
    {
        Assert.False(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.StartsWith("The request body is not valid JSON: ", error, StringComparison.Ordinal);
        Assert.True(error!.Length > "The request body is not valid JSON: ".Length);
    }

    [Fact]
    public void RefusesNestingDeeperThanTwoHundredAndFiftySixLevels()
    {
        var deep = """{"a":""" + new string('[', 300) + new string(']', 300) + "}";
        var shallow = """{"a":""" + new string('[', 200) + new string(']', 200) + "}";

        Assert.False(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(deep), out _, out var error));
        Assert.StartsWith("The request body is not valid JSON: ", error, StringComparison.Ordinal);
        Assert.True(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(shallow), out _, out _));
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o","stream":true}""", """{"model":"qwen3-coder-plus","stream":true}""")]
    [InlineData("""{"messages":[],"model":"claude"}""", """{"messages":[],"model":"qwen3-coder-plus"}""")]
    [InlineData("{\n  \"model\" : \"a\",\n  \"n\": 1\n}", "{\n  \"model\" : \"qwen3-coder-plus\",\n  \"n\": 1\n}")]
    [InlineData("""{"model":"a-much-longer-model-name-than-the-default","x":[1,2]}""", """{"model":"qwen3-coder-plus","x":[1,2]}""")]
    public void ReplacesOnlyTheModelToken(string json, string expected) =>
        Assert.Equal(expected, Rewrite(json, "qwen3-coder-plus"));

    [Theory]
    [InlineData("""{"messages":[]}""", """{"model":"qwen3-coder-plus","messages":[]}""")]
    [InlineData("""  {"stream":true}""", """  {"model":"qwen3-coder-plus","stream":true}""")]
    [InlineData("{}", """{"model":"qwen3-coder-plus"}""")]
    [InlineData("{ \n}", "{\"model\":\"qwen3-coder-plus\" \n}")]
    public void InsertsAMissingModelFirst(string json, string expected) =>
        Assert.Equal(expected, Rewrite(json, "qwen3-coder-plus"));

    [Theory]
    [InlineData("""{"model":"a","messages":[]}""")]
    [InlineData("""{"messages":[]}""")]
    public void WritesTheModelJsonEscaped(string json)
    {
        const string model = "quote\" back\\ caf\u00e9 \u4e2d";

        var rewritten = Rewrite(json, model);

        using var document = JsonDocument.Parse(rewritten);
        Assert.Equal(model, document.RootElement.GetProperty("model").GetString());
        Assert.Equal(0, document.RootElement.GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public void ARewrittenBodyParsesAsTheNewModel()
    {
        var rewritten = Rewrite("""{"model":"gpt-4o","stream":true}""", "qwen3-coder-flash");

        var body = Parse(rewritten);

        Assert.True(body.IsKnownModel);
        Assert.Equal("qwen3-coder-flash", body.Model);
        Assert.True(body.Stream);
    }

    private static ChatRequestBody Parse(string json)
    {
        Assert.True(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out var body, out var error), error);
        Assert.Null(error);
        return body;
    }

    /// <summary>Parses, rewrites into a pooled buffer, and returns the buffer after copying the result out.</summary>
    private static string Rewrite(string json, string model)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.True(ChatRequestBody.TryParse(bytes, out var body, out _));
        var buffer = body.RewriteModel(bytes, JsonEncodedText.Encode(model), out var length);
        try
        {
            return Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"developer","content":"be brief"},{"role":"user","content":"hi"}]}""",
        """{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"messages":[{"content":"x","role":"developer"},{"role":"developer"}],"stream":false}""",
        """{"messages":[{"content":"x","role":"system"},{"role":"system"}],"stream":false}""")]
    [InlineData("""{"messages":[{"role":"\u0064eveloper"}]}""", """{"messages":[{"role":"system"}]}""")] // escaped, same word
    [InlineData("""{"messages":[{"role":"user","content":"role developer"},{"content":{"role":"developer"}}],"role":"developer"}""",
        """{"messages":[{"role":"user","content":"role developer"},{"content":{"role":"developer"}}],"role":"developer"}""")] // only a message's own role
    public void ADeveloperMessageBecomesASystemMessage(string json, string expected) =>
        Assert.Equal(expected, Shape(json, RequestShaping.All));

    [Theory]
    [InlineData("""{"model":"m","store":true,"messages":[]}""", """{"model":"m","messages":[]}""")]
    [InlineData("""{"store":false,"model":"m"}""", """{"model":"m"}""")]
    [InlineData("""{"model":"m","background":true}""", """{"model":"m"}""")]
    [InlineData("""{"model":"m","store":true,"background":false,"webhook_config":{"url":"https://x"}}""", """{"model":"m"}""")]
    [InlineData("""{"store":true,"background":false,"model":"m","webhook_config":null,"n":1}""", """{"model":"m","n":1}""")]
    [InlineData("""{ "store" : true , "model" : "m" }""", """{ "model" : "m" }""")]
    [InlineData("""{"store":true}""", """{}""")]
    [InlineData("""{"metadata":{"store":true}}""", """{"metadata":{"store":true}}""")] // only top-level members
    public void FieldsQwenRefusesAreDropped(string json, string expected)
    {
        var shaped = Shape(json, RequestShaping.All);

        Assert.Equal(expected, shaped);
        using var _ = JsonDocument.Parse(shaped);
    }

    [Fact]
    public void NothingToShapeMeansNoRewriteAtAll()
    {
        Assert.True(ChatRequestBody.TryParse("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"""u8, out var body, out _, RequestShaping.All));

        Assert.Null(body.Shaping);
    }

    [Theory]
    [InlineData(RequestShaping.None, """{"store":true,"messages":[{"role":"developer"}]}""")]
    [InlineData(RequestShaping.DeveloperRole, """{"store":true,"messages":[{"role":"system"}]}""")]
    [InlineData(RequestShaping.UnsupportedFields, """{"messages":[{"role":"developer"}]}""")]
    public void EachRuleCanBeSwitchedOnItsOwn(RequestShaping rules, string expected)
    {
        const string json = """{"store":true,"messages":[{"role":"developer"}]}""";
        Assert.True(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out var body, out _, rules));

        Assert.Equal(expected, body.Shaping is null ? json : Shape(json, rules));
    }

    [Theory]
    [InlineData("""{"store":true,"model":"gpt-4o","messages":[{"role":"developer"}]}""", """{"model":"qwen3-coder-plus","messages":[{"role":"system"}]}""")]
    [InlineData("""{"messages":[{"role":"developer"}],"model":"gpt-4o","store":true}""", """{"messages":[{"role":"system"}],"model":"qwen3-coder-plus"}""")]
    [InlineData("""{"store":true,"messages":[]}""", """{"model":"qwen3-coder-plus","messages":[]}""")]
    [InlineData("""{"store":true}""", """{"model":"qwen3-coder-plus"}""")]
    public void ShapingAndTheModelRewriteGoTogether(string json, string expected)
    {
        Assert.True(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out var body, out _, RequestShaping.All));

        var buffer = body.Rewrite(Encoding.UTF8.GetBytes(json), JsonEncodedText.Encode("qwen3-coder-plus"), out var length);

        Assert.Equal(expected, Encoding.UTF8.GetString(buffer, 0, length));
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
    }

    private static string Shape(string json, RequestShaping rules)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.True(ChatRequestBody.TryParse(bytes, out var body, out var error, rules), error);
        var buffer = body.Rewrite(bytes, model: null, out var length);
        var shaped = Encoding.UTF8.GetString(buffer, 0, length);
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        return shaped;
    }

    [Theory]
    [InlineData("""{"model":"m","stream":true,"messages":[]}""", """{"stream_options":{"include_usage":true},"model":"m","stream":true,"messages":[]}""")]
    [InlineData("""{ "stream" : true }""", """{"stream_options":{"include_usage":true}, "stream" : true }""")]
    [InlineData("""{"store":true,"stream":true}""", """{"stream_options":{"include_usage":true},"stream":true}""")]
    public void AStreamWithoutStreamOptionsAsksForUsage(string json, string expected)
    {
        Assert.True(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out var body, out _, RequestShaping.All));

        Assert.True(body.ForcedUsage);
        Assert.Equal(expected, Shape(json, RequestShaping.All));
    }

    [Theory]
    [InlineData("""{"model":"m","stream":true,"stream_options":{"include_usage":false}}""")] // the client's choice stands
    [InlineData("""{"model":"m","stream":true,"stream_options":{"include_usage":true}}""")]
    [InlineData("""{"model":"m","stream":false}""")]
    [InlineData("""{"model":"m"}""")]
    public void OtherRequestsAreLeftAsTheyAre(string json)
    {
        Assert.True(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out var body, out _, RequestShaping.All));

        Assert.False(body.ForcedUsage);
        Assert.Null(body.Shaping);
    }

    [Fact]
    public void TheUsageRequestGoesWithTheModelInsertion()
    {
        const string json = """{"stream":true,"messages":[]}""";
        Assert.True(ChatRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out var body, out _, RequestShaping.All));

        var buffer = body.Rewrite(Encoding.UTF8.GetBytes(json), JsonEncodedText.Encode("qwen3-coder-plus"), out var length);

        Assert.Equal("""{"model":"qwen3-coder-plus","stream_options":{"include_usage":true},"stream":true,"messages":[]}""", Encoding.UTF8.GetString(buffer, 0, length));
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
