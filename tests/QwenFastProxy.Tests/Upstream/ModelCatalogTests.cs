using System.Text;
using QwenFastProxy.Upstream;

namespace QwenFastProxy.Tests.Upstream;

/// <summary>The OAuth tier's models, looked up by the bytes of a request's <c>model</c> value.</summary>
public sealed class ModelCatalogTests
{
    [Fact]
    public void ListsTheOAuthTiersModels() =>
        Assert.Equal(["qwen3-coder-plus", "qwen3-coder-flash", "coder-model", "vision-model"], ModelCatalog.OAuthModels);

    [Fact]
    public void FindsEveryModelAsTheCatalogsOwnString()
    {
        foreach (var model in ModelCatalog.OAuthModels)
        {
            // The same instance, not an equal copy: a known model costs no string per request.
            Assert.Same(model, ModelCatalog.FindOAuthModel(Encoding.UTF8.GetBytes(model)));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("Qwen3-Coder-Plus")]
    [InlineData("qwen3-coder")]
    [InlineData("qwen3-coder-plus ")]
    [InlineData(" qwen3-coder-plus")]
    [InlineData("qwen3-coder-plus-latest")]
    [InlineData("qwen-max")]
    public void FindsNothingElse(string model) => Assert.Null(ModelCatalog.FindOAuthModel(Encoding.UTF8.GetBytes(model)));
}
