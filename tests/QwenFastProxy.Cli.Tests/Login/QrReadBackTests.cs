using QwenFastProxy.Cli.Login;

namespace QwenFastProxy.Cli.Tests.Login;

public sealed class QrReadBackTests
{
    public static TheoryData<string, bool> Texts()
    {
        string[] texts =
        [
            "https://chat.qwen.ai/authorize?user_code=ABCD-1234&client=qwen-code",
            "https://chat.qwen.ai/authorize?user_code=wxyz-9876&client=qwen-code&note=a%20b_c~d!*'();:@+$,/?#[]=",
            // Past version 9 (16-bit length field, version information blocks, several alignment patterns).
            "https://chat.qwen.ai/authorize?user_code=QRST-5678&client=qwen-code&state="
                + string.Concat(Enumerable.Range(0, 60).Select(i => i.ToString("x4", System.Globalization.CultureInfo.InvariantCulture))),
        ];
        var data = new TheoryData<string, bool>();
        foreach (string text in texts)
        {
            data.Add(text, true);
            data.Add(text, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void ThePrintedCodeReadsBackAsTheTextWithNothingToRepair(string text, bool color)
    {
        string rendered = QrTerminalRenderer.Render(QrModules.Encode(text), color);

        TerminalQrReader.Reading? reading = TerminalQrReader.Read(rendered, color);

        Assert.NotNull(reading);
        Assert.Equal(text, reading.Text);
        Assert.Equal("L", reading.Level);
        Assert.Equal(0, reading.ErrorsCorrected); // a single wrong module would show up here
    }
}
