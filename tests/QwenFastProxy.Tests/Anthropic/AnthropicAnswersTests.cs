using System.Text;
using System.Text.Json;
using QwenFastProxy.Http;
using QwenFastProxy.Resilience;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Tests.Anthropic;

/// <summary>How the Messages API's errors are shaped and which models get Qwen's thinking switch.</summary>
public sealed class AnthropicAnswersTests
{
    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    [InlineData(403, "permission_error")]
    [InlineData(404, "not_found_error")]
    [InlineData(405, "invalid_request_error")]
    [InlineData(413, "request_too_large")]
    [InlineData(429, "rate_limit_error")]
    [InlineData(500, "api_error")]
    [InlineData(502, "api_error")]
    [InlineData(503, "overloaded_error")]
    [InlineData(504, "api_error")]
    [InlineData(529, "overloaded_error")]
    public void ErrorsAreTypedAsAnthropicsClientsExpect(int status, string type)
    {
        var body = AnthropicErrorBody.ToBytes(new HttpError(status, "what happened", "some_code"));

        using var json = JsonDocument.Parse(body);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(type, json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("what happened", json.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("""{"error":{"code":"invalid_parameter_error","message":"<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, 1000000]"}}""", true)]
    [InlineData("""{"type":"error","error":{"type":"invalid_request_error","message":"Range of input length should be [1, 98304]"}}""", true)]
    [InlineData("""{"error":{"code":"context_length_exceeded","message":"too many"}}""", true)]
    [InlineData("""{"error":{"message":"This model's maximum context length is 8192 tokens"}}""", true)]
    [InlineData("""{"error":{"code":"invalid_parameter_error","message":"messages: role must be user or assistant"}}""", false)]
    [InlineData("""{"error":{"code":"Arrearage","message":"Access denied, please make sure your account is in good standing."}}""", false)]
    public void AContextOverflowIsRecognisedInEitherShape(string body, bool overflow)
    {
        Assert.Equal(overflow, ContextOverflow.Matches(Encoding.UTF8.GetBytes(body)));

        var error = MessagesAnswerRelay.ToAnthropicError(400, Encoding.UTF8.GetBytes(body));
        Assert.Equal(400, error.Status);
        Assert.Equal(overflow, error.Message.StartsWith("prompt is too long: ", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUpstreamRefusalKeepsItsStatusAndWords()
    {
        var error = MessagesAnswerRelay.ToAnthropicError(429, """{"error":{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded"}}"""u8);

        Assert.Equal(429, error.Status);
        Assert.Equal("Requests rate limit exceeded", error.Message);
        Assert.Equal("Throttling.RateQuota", error.Code);
        Assert.Equal("The upstream answered 502 without an error message.", MessagesAnswerRelay.ToAnthropicError(502, "<html>bad gateway</html>"u8).Message);
    }

    [Theory]
    [InlineData("qwen-plus", true)]
    [InlineData("qwen-plus-latest", true)]
    [InlineData("qwen-flash", true)]
    [InlineData("qwen3-235b-a22b", true)]
    [InlineData("qwen3.5-plus", true)]
    [InlineData("qwq-plus", true)]
    [InlineData("qwen3-coder-plus", false)]
    [InlineData("qwen3-coder-flash", false)]
    [InlineData("qwen3-max", false)]
    [InlineData("qwen3-235b-a22b-instruct-2507", false)]
    [InlineData("qwen3-vl-plus", false)]
    [InlineData("coder-model", false)]
    public void ThinkingIsSwitchedOnlyForModelsThatHaveTheSwitch(string model, bool thinks)
    {
        Assert.Equal(thinks, ModelCatalog.Thinks(model));
    }
}
