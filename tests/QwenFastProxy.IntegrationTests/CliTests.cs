using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using QwenFastProxy.Cli;

namespace QwenFastProxy.IntegrationTests;

/// <summary>The qwenfastproxy command line as a user meets it: exit codes, messages, and --demo serving.</summary>
public sealed partial class CliTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("qfp-cli-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task BadConfigurationExitsWith2NamingTheVariable()
    {
        var (code, _, stderr) = await Run(["--port", "1"], ("REQUEST_TIMEOUT_SECONDS", "soon"));

        Assert.Equal(2, code);
        Assert.Contains("REQUEST_TIMEOUT_SECONDS", stderr);
    }

    [Fact]
    public async Task UnknownFlagExitsWith2()
    {
        var (code, _, stderr) = await Run(["--frobnicate"]);

        Assert.Equal(2, code);
        Assert.Contains("--frobnicate", stderr);
    }

    [Fact]
    public async Task VersionAndHelpExitWith0()
    {
        var version = await Run(["--version"]);
        var help = await Run(["--help"]);

        Assert.Equal(0, version.Code);
        Assert.StartsWith("qwenfastproxy ", version.Stdout);
        Assert.Equal(0, help.Code);
        Assert.Contains("QWEN_API_KEY", help.Stdout);
    }

    [Fact]
    public async Task ServeWithoutCredentialsFailsWithAWayForward()
    {
        var (code, _, stderr) = await Run(["--port", "0"], ("QWEN_CREDS_PATH", Path.Combine(_home, "none.json")));

        Assert.Equal(1, code);
        Assert.Contains("QWEN_API_KEY", stderr);
        Assert.Contains("--demo", stderr);
    }

    [Fact]
    public async Task StatusShowsExpiryButNeverTheToken()
    {
        var creds = Path.Combine(_home, "creds.json");
        var expiry = DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeMilliseconds();
        await File.WriteAllTextAsync(creds, $$"""{"access_token":"SECRET-ACCESS","refresh_token":"SECRET-REFRESH","token_type":"Bearer","resource_url":"portal.qwen.ai","expiry_date":{{expiry}}}""");

        var (code, stdout, _) = await Run(["status"], ("QWEN_CREDS_PATH", creds));

        Assert.Equal(0, code);
        Assert.Contains("https://portal.qwen.ai/v1", stdout);
        Assert.DoesNotContain("SECRET", stdout);
    }

    [Fact]
    public async Task StatusNamesThePlanAndWarnsAboutAKeyOfTheWrongShape()
    {
        var (code, stdout, _) = await Run(["status"], ("QWEN_API_KEY", "sk-general-SECRET"), ("QWEN_PLAN", "coding-plan-intl"));

        Assert.Equal(0, code);
        Assert.Contains("Plan: coding-plan-intl", stdout, StringComparison.Ordinal);
        Assert.Contains("API base: https://coding-intl.dashscope.aliyuncs.com/v1", stdout, StringComparison.Ordinal);
        Assert.Contains("Warning: QWEN_API_KEY does not start with sk-sp-", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusRecognisesThePlanOfAForcedBase()
    {
        var (code, stdout, _) = await Run(["status"], ("QWEN_API_KEY", "sk-sp-SECRET"), ("QWEN_API_BASE_URL", "coding.dashscope.aliyuncs.com"));

        Assert.Equal(0, code);
        Assert.Contains("Plan: coding-plan-cn (recognised from the API base)", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Warning", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlanWithoutAKeyIsABadSetting()
    {
        var (code, _, stderr) = await Run(["status"], ("QWEN_PLAN", "standard-intl"));

        Assert.Equal(2, code);
        Assert.Contains("QWEN_PLAN=standard-intl", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogoutRemovesTheCredentialsFile()
    {
        var creds = Path.Combine(_home, "creds.json");
        await File.WriteAllTextAsync(creds, """{"access_token":"x"}""");

        var (code, _, _) = await Run(["logout"], ("QWEN_CREDS_PATH", creds));

        Assert.Equal(0, code);
        Assert.False(File.Exists(creds));
    }

    [Fact]
    public async Task DemoServesChatAndStopsCleanly()
    {
        using var stop = new CancellationTokenSource();
        var stdout = new SignallingWriter();
        var run = ProxyCli.RunAsync(["--demo", "--port", "0"], Env(("HOME", _home)), stdout, new StringWriter(), stop.Token);

        var banner = await stdout.FirstLine.WaitAsync(TimeSpan.FromSeconds(30));
        var baseUrl = UrlPattern().Match(banner).Value;
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.PostAsync(baseUrl + "/chat/completions",
            new StringContent("""{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        await stop.CancelAsync();
        var code = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("chat.completion", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, code);
    }

    private async Task<(int Code, string Stdout, string Stderr)> Run(string[] args, params (string Name, string Value)[] env)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await ProxyCli.RunAsync(args, Env([("HOME", _home), .. env]), stdout, stderr).WaitAsync(TimeSpan.FromSeconds(30));
        return (code, stdout.ToString(), stderr.ToString());
    }

    // Only the given variables exist: the test machine's own environment must not leak in.
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [GeneratedRegex(@"http://[0-9.]+:[0-9]+/v1")]
    private static partial Regex UrlPattern();

    private sealed class SignallingWriter : StringWriter
    {
        private readonly TaskCompletionSource<string> _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> FirstLine => _firstLine.Task;

        public override Task WriteLineAsync(string? value)
        {
            _firstLine.TrySetResult(value ?? "");
            return base.WriteLineAsync(value);
        }
    }
}
