using System.Net;
using System.Text;
using QwenFastProxy.Auth;

namespace QwenFastProxy.IntegrationTests.Auth;

/// <summary>The simulated OAuth server itself: what the proxy's tests rely on it to do.</summary>
public sealed class SimulatorOAuthTests
{
    private static readonly TimeSpan Bound = OAuthHarness.Bound;

    [Fact]
    public async Task ARotatedRefreshTokenCannotBeUsedTwice()
    {
        await using var harness = await OAuthHarness.StartAsync();
        var issued = harness.OAuth.IssueTokens(harness.OAuthBaseUrl);
        var client = Client(harness);

        var first = await client.RefreshAsync(issued.RefreshToken!, CancellationToken.None).WaitAsync(Bound);
        var reused = await client.RefreshAsync(issued.RefreshToken!, CancellationToken.None).WaitAsync(Bound);
        var next = await client.RefreshAsync(first.Tokens!.RefreshToken!, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(RefreshOutcome.Refreshed, first.Outcome);
        Assert.NotEqual(issued.RefreshToken, first.Tokens.RefreshToken);
        Assert.Equal(RefreshOutcome.Rejected, reused.Outcome);
        Assert.Contains("invalid_grant", reused.Message, StringComparison.Ordinal);
        Assert.Equal(RefreshOutcome.Refreshed, next.Outcome);
        Assert.Equal(2, harness.OAuth.RefreshCount);
    }

    [Fact]
    public async Task WithoutRotationTheRefreshTokenMayBeLeftOut()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.OAuth.Options.RotateRefreshTokens = false;
        harness.OAuth.Options.ReturnRefreshTokenOnRefresh = false;
        var issued = harness.OAuth.IssueTokens(harness.OAuthBaseUrl);
        var client = Client(harness);

        var first = await client.RefreshAsync(issued.RefreshToken!, CancellationToken.None).WaitAsync(Bound);
        var again = await client.RefreshAsync(issued.RefreshToken!, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(RefreshOutcome.Refreshed, first.Outcome);
        Assert.Null(first.Tokens!.RefreshToken);
        Assert.Equal(RefreshOutcome.Refreshed, again.Outcome);
    }

    [Fact]
    public async Task PassingServerTroubleIsNotARejection()
    {
        await using var harness = await OAuthHarness.StartAsync();
        harness.OAuth.Options.RefreshFailureStatusCode = 503;
        var issued = harness.OAuth.IssueTokens(harness.OAuthBaseUrl);

        var result = await Client(harness).RefreshAsync(issued.RefreshToken!, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(RefreshOutcome.Failed, result.Outcome);
        Assert.Contains("503", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheChatEndpointRefusesUnknownAndExpiredTokensWithQwensBody()
    {
        await using var harness = await OAuthHarness.StartAsync();
        var issued = harness.OAuth.IssueTokens(harness.OAuthBaseUrl);
        using var http = new HttpClient { Timeout = Bound };

        using var valid = await Chat(issued.AccessToken);
        using var unknown = await Chat("made-up-token");
        harness.Clock.Advance(OAuthHarness.TokenLifetime);
        using var expired = await Chat(issued.AccessToken);

        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        foreach (var refused in new[] { unknown, expired })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Contains("\"code\":\"invalid_api_key\"", body, StringComparison.Ordinal);
            Assert.Contains("invalid access token or token expired", body, StringComparison.Ordinal);
        }

        Task<HttpResponseMessage> Chat(string token)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, harness.Simulator.BaseUrl + "/chat/completions")
            {
                Content = new StringContent("""{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            return http.SendAsync(request);
        }
    }

    private static OAuthTokenClient Client(OAuthHarness harness) =>
        new(new HttpMessageInvoker(new SocketsHttpHandler()), harness.OAuthBaseUrl);
}
