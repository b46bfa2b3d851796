using QwenFastProxy.Cli.Arguments;
using QwenFastProxy.Configuration;

namespace QwenFastProxy.Cli.Tests.Arguments;

public class CommandLineTests
{
    private static CommandLine Parse(params string[] args)
    {
        Assert.True(CommandLine.TryParse(args, out CommandLine? result, out string? error), error);
        Assert.Null(error);
        return result!;
    }

    private static string Fails(params string[] args)
    {
        Assert.False(CommandLine.TryParse(args, out CommandLine? result, out string? error));
        Assert.Null(result);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error!;
    }

    [Fact]
    public void NoArgumentsServes()
    {
        Assert.Equal(new CommandLine(ProxyCommand.Serve, false, false, null, null), Parse());
    }

    [Theory]
    [InlineData("login", ProxyCommand.Login)]
    [InlineData("logout", ProxyCommand.Logout)]
    [InlineData("status", ProxyCommand.Status)]
    [InlineData("serve", ProxyCommand.Serve)]
    [InlineData("help", ProxyCommand.Help)]
    [InlineData("version", ProxyCommand.Version)]
    public void CommandWords(string word, ProxyCommand expected)
    {
        Assert.Equal(expected, Parse(word).Command);
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    [InlineData("-help")]
    public void HelpFlags(string flag)
    {
        Assert.Equal(ProxyCommand.Help, Parse(flag).Command);
    }

    [Fact]
    public void VersionFlag()
    {
        Assert.Equal(ProxyCommand.Version, Parse("--version").Command);
    }

    [Fact]
    public void HelpWinsOverCommandWordAndVersion()
    {
        Assert.Equal(ProxyCommand.Help, Parse("login", "--version", "--help").Command);
        Assert.Equal(ProxyCommand.Version, Parse("status", "--version").Command);
    }

    [Fact]
    public void DemoFlag()
    {
        CommandLine line = Parse("--demo");
        Assert.True(line.Demo);
        Assert.Equal(ProxyCommand.Serve, line.Command);
    }

    [Theory]
    [InlineData("-debug")]
    [InlineData("--debug")]
    public void DebugFlags(string flag)
    {
        Assert.True(Parse(flag).Debug);
    }

    [Theory]
    [InlineData("--port", "9000", 9000)]
    [InlineData("--port", "0", 0)]
    [InlineData("--port", "65535", 65535)]
    [InlineData("-port", "1234", 1234)]
    public void PortWithSeparateValue(string flag, string value, int expected)
    {
        Assert.Equal(expected, Parse(flag, value).Port);
    }

    [Fact]
    public void PortWithEqualsValue()
    {
        Assert.Equal(9001, Parse("--port=9001").Port);
    }

    [Theory]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("::1", "::1")]
    [InlineData("[::1]", "::1")]
    [InlineData("LocalHost", "localhost")]
    public void HostValues(string value, string expected)
    {
        Assert.Equal(expected, Parse("--host", value).Host);
        Assert.Equal(expected, Parse("--host=" + value).Host);
    }

    [Fact]
    public void FlagsCombineWithCommandInAnyOrder()
    {
        Assert.Equal(
            new CommandLine(ProxyCommand.Status, true, true, 7000, "127.0.0.1"),
            Parse("--debug", "status", "--port", "7000", "--host=127.0.0.1", "--demo"));
    }

    [Fact]
    public void OverridesCarryTheFlagsUnderTheirNames()
    {
        Assert.Equal(
            new OptionOverrides(true, true, new NamedSetting<int>("--port", 7000), new NamedSetting<string>("--host", "::1")),
            Parse("--demo", "--debug", "--port", "7000", "--host", "::1").ToOverrides());
        Assert.Equal(OptionOverrides.None, Parse("status").ToOverrides());
    }

    [Fact]
    public void LastRepeatedValueWins()
    {
        Assert.Equal(2, Parse("--port", "1", "--port=2").Port);
    }

    [Fact]
    public void UnknownFlagIsNamedWithAcceptedFlags()
    {
        string error = Fails("--verbose");
        Assert.Contains("--verbose", error, StringComparison.Ordinal);
        Assert.Contains("--port", error, StringComparison.Ordinal);
        Assert.Contains("--help", error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownFlagWithValueShowsOnlyItsName()
    {
        string error = Fails("--colour=red");
        Assert.Contains("\"--colour\"", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serv")]
    [InlineData("LOGIN")]
    [InlineData("")]
    [InlineData("-")]
    public void UnknownWordIsNamedWithAcceptedCommands(string word)
    {
        string error = Fails(word);
        Assert.Contains($"\"{word}\"", error, StringComparison.Ordinal);
        Assert.Contains("login, logout or status", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoCommandWordsFail()
    {
        string error = Fails("login", "status");
        Assert.Contains("\"status\"", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--host")]
    public void MissingValueAtEnd(string flag)
    {
        string error = Fails(flag);
        Assert.Contains("missing value for " + flag, error, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingValueBeforeAnotherFlag()
    {
        string error = Fails("--port", "--debug");
        Assert.Contains("missing value for --port", error, StringComparison.Ordinal);
        Assert.Contains("0 to 65535", error, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyInlineValueIsInvalid()
    {
        string error = Fails("--port=");
        Assert.Contains("invalid --port=\"\"", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("65536")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public void InvalidPort(string value)
    {
        Assert.Equal($"invalid --port=\"{value}\": expected an integer from 0 to 65535", Fails("--port", value));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("127.1")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.4.5")]
    public void InvalidHost(string value)
    {
        string error = Fails("--host", value);
        Assert.StartsWith($"invalid --host=\"{value}\"", error, StringComparison.Ordinal);
        Assert.Contains("localhost", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--demo=true")]
    [InlineData("--debug=false")]
    [InlineData("--help=1")]
    public void BooleanFlagsTakeNoValue(string arg)
    {
        string error = Fails(arg);
        Assert.Contains("takes no value", error, StringComparison.Ordinal);
    }

    [Fact]
    public void HelpTextListsCommandsFlagsAndEveryVariableWithItsDefault()
    {
        string help = CommandLine.HelpText;
        foreach (string word in new[] { "login", "logout", "status", "--demo", "-debug", "--port", "--host", "--help", "--version" })
        {
            Assert.Contains(word, help, StringComparison.Ordinal);
        }

        string[] lines = help.Split('\n');
        foreach ((string name, string value) in new[]
        {
            ("PORT", "8143"), ("DEBUG", "false"), ("MAX_IDLE_CONNS", "50"), ("MAX_IDLE_CONNS_PER_HOST", "50"),
            ("IDLE_CONN_TIMEOUT_SECONDS", "180"), ("REQUEST_TIMEOUT_SECONDS", "300"), ("STREAMING_TIMEOUT_SECONDS", "900"),
            ("READ_TIMEOUT_SECONDS", "45"), ("STREAMING_MAX_ERRORS", "10"), ("STREAMING_BUFFER_SIZE", "4096"),
            ("HOST", "127.0.0.1"), ("QWEN_CREDS_PATH", "~/.qwen/qwenproxy_creds.json"), ("QWEN_OAUTH_BASE_URL", "https://chat.qwen.ai"),
            ("QWEN_API_BASE_URL", "unset"), ("QWEN_API_KEY", "unset"), ("PROXY_API_KEYS", "unset"), ("DEFAULT_MODEL", "qwen3-coder-plus"),
            ("CIRCUIT_BREAKER_FAILURES", "10"), ("CIRCUIT_BREAKER_RESET_SECONDS", "30"), ("RETRY_MAX_ATTEMPTS", "3"),
            ("STUTTER_FILTER", "on"), ("LOG_FORMAT", "text"), ("MAX_REQUEST_BODY_BYTES", "67108864"), ("MAX_REQUEST_HEADER_BYTES", "32768"),
        })
        {
            string line = Assert.Single(lines, l => l.TrimStart().StartsWith(name + " ", StringComparison.Ordinal));
            Assert.Contains(" " + value + " ", line, StringComparison.Ordinal);
        }
    }
}
