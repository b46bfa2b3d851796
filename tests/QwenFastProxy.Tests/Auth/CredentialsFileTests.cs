using QwenFastProxy.Auth;

namespace QwenFastProxy.Tests.Auth;

public sealed class CredentialsFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("qwenfastproxy-creds-").FullName;

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(_directory, recursive: true);
    }

    private string Write(string json, string name = "creds.json")
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static QwenCredentials ReadOk(string path)
    {
        CredentialsFile.ReadStatus status = CredentialsFile.TryRead(path, out QwenCredentials? credentials, out string? message);
        Assert.True(status == CredentialsFile.ReadStatus.Ok, message);
        Assert.Null(message);
        return credentials!;
    }

    private static string ReadCorrupt(string path)
    {
        CredentialsFile.ReadStatus status = CredentialsFile.TryRead(path, out QwenCredentials? credentials, out string? message);
        Assert.Equal(CredentialsFile.ReadStatus.Corrupt, status);
        Assert.Null(credentials);
        Assert.NotNull(message);
        Assert.Contains(path, message, StringComparison.Ordinal);
        Assert.Contains("qwenfastproxy login", message, StringComparison.Ordinal);
        Assert.Contains("delete the file", message, StringComparison.Ordinal);
        return message;
    }

    [Fact]
    public void OkAllFields()
    {
        string path = Write("""
            {"access_token":"at","token_type":"Bearer","refresh_token":"rt","resource_url":"portal.qwen.ai","expiry_date":1767268800000}
            """);
        QwenCredentials c = ReadOk(path);
        Assert.Equal("at", c.AccessToken);
        Assert.Equal("Bearer", c.TokenType);
        Assert.Equal("rt", c.RefreshToken);
        Assert.Equal("portal.qwen.ai", c.ResourceUrl);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero), c.ExpiryDate);
    }

    [Fact]
    public void OkOnlyAccessTokenUnknownFieldsIgnored()
    {
        string path = Write("""
            {
              "id_token": {"nested": [1, 2, {"x": null}]},
              "access_token": "at",
              "scope": "openid",
              "extra": [true, false]
            }
            """);
        QwenCredentials c = ReadOk(path);
        Assert.Equal(new QwenCredentials("at", null, null, null, null), c);
    }

    [Fact]
    public void OkNullAndEmptyOptionalFieldsAreAbsent()
    {
        string path = Write("""{"access_token":"at","token_type":null,"refresh_token":"","resource_url":null,"expiry_date":null}""");
        Assert.Equal(new QwenCredentials("at", null, null, null, null), ReadOk(path));
    }

    [Fact]
    public void OkFractionalExpiryAndByteOrderMark()
    {
        string path = Path.Combine(_directory, "bom.json");
        File.WriteAllText(path, """{"access_token":"at","expiry_date":1767268800000.75}""", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1767268800000), ReadOk(path).ExpiryDate);
    }

    [Fact]
    public void MissingFile()
    {
        string path = Path.Combine(_directory, "absent.json");
        Assert.Equal(CredentialsFile.ReadStatus.Missing, CredentialsFile.TryRead(path, out QwenCredentials? credentials, out _));
        Assert.Null(credentials);
    }

    [Fact]
    public void MissingFolder()
    {
        string path = Path.Combine(_directory, "no-such-folder", "creds.json");
        Assert.Equal(CredentialsFile.ReadStatus.Missing, CredentialsFile.TryRead(path, out _, out _));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("  \n", "empty")]
    [InlineData("not json", "invalid JSON")]
    [InlineData("""{"access_token":"at" """, "invalid JSON")]
    [InlineData("""{"access_token":"at","refresh""", "invalid JSON")]
    [InlineData("""{"access_token":"at"} trailing""", "invalid JSON")]
    [InlineData("[]", "JSON object")]
    [InlineData("\"at\"", "JSON object")]
    [InlineData("{}", "access_token")]
    [InlineData("""{"access_token":""}""", "access_token")]
    [InlineData("""{"access_token":"   "}""", "access_token")]
    [InlineData("""{"access_token":null,"refresh_token":"rt"}""", "access_token")]
    public void CorruptBadOrPartialJson(string json, string problem)
    {
        string message = ReadCorrupt(Write(json));
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"access_token":123}""", "access_token must be a string")]
    [InlineData("""{"access_token":"at","token_type":1}""", "token_type must be a string")]
    [InlineData("""{"access_token":"at","refresh_token":{"a":1}}""", "refresh_token must be a string")]
    [InlineData("""{"access_token":"at","resource_url":["x"]}""", "resource_url must be a string")]
    [InlineData("""{"access_token":"at","expiry_date":"1767268800000"}""", "expiry_date")]
    [InlineData("""{"access_token":"at","expiry_date":true}""", "expiry_date")]
    [InlineData("""{"access_token":"at","expiry_date":1e300}""", "expiry_date")]
    [InlineData("""{"access_token":"at","expiry_date":999999999999999999}""", "expiry_date")]
    public void CorruptWrongTypes(string json, string problem)
    {
        string message = ReadCorrupt(Write(json));
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptMessageNeverShowsTheToken()
    {
        string message = ReadCorrupt(Write("""{"access_token":"secret-token-value","expiry_date":"soon"}"""));
        Assert.DoesNotContain("secret-token-value", message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptPathIsAFolder()
    {
        string path = Path.Combine(_directory, "folder.json");
        Directory.CreateDirectory(path);
        ReadCorrupt(path);
    }

    [Fact]
    public void CorruptTooLarge()
    {
        string path = Path.Combine(_directory, "huge.json");
        using (FileStream stream = File.Create(path))
        {
            stream.SetLength(CredentialsFile.MaxFileBytes + 1);
        }

        ReadCorrupt(path);
    }

    [Fact]
    public void InvalidPathIsCorruptNotAnException()
    {
        string path = Path.Combine(_directory, "bad\0name.json");
        Assert.Equal(CredentialsFile.ReadStatus.Corrupt, CredentialsFile.TryRead(path, out _, out string? message));
        Assert.Contains("qwenfastproxy login", message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreadableIsCorruptNotAnException()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            return; // root reads any file; permissions cannot be tested there.
        }

        string path = Write("""{"access_token":"at"}""");
        File.SetUnixFileMode(path, UnixFileMode.None);
        string message = ReadCorrupt(path);
        Assert.Contains("cannot read", message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreadableFolderIsCorruptOrMissingButNeverThrows()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            return;
        }

        string folder = Path.Combine(_directory, "locked");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "creds.json"), """{"access_token":"at"}""");
        File.SetUnixFileMode(folder, UnixFileMode.None);
        CredentialsFile.ReadStatus status = CredentialsFile.TryRead(Path.Combine(folder, "creds.json"), out _, out string? message);
        Assert.NotEqual(CredentialsFile.ReadStatus.Ok, status);
        Assert.NotNull(message);
    }
}
