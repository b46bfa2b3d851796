using QwenFastProxy.Cli.Login;

namespace QwenFastProxy.Cli.Tests.Login;

public sealed class QrModulesTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 1)]   // 1-L holds 17 bytes
    [InlineData(18, 2)]
    [InlineData(78, 4)]   // 4-L holds 78 bytes: a typical verification URL fits
    [InlineData(79, 5)]
    [InlineData(271, 10)] // past the 8-bit length field
    [InlineData(2953, 40)]
    public void TheSmallestVersionThatFitsIsChosen(int length, int version)
    {
        var code = QrModules.Encode(new string('a', length));

        Assert.Equal(version, code.Version);
        Assert.Equal(version * 4 + 17, code.Size);
    }

    [Fact]
    public void TooLongATextIsRefused() =>
        Assert.Throws<ArgumentException>(() => QrModules.Encode(new string('a', 2954)));

    [Fact]
    public void FinderPatternsSitInThreeCorners()
    {
        var code = QrModules.Encode("https://chat.qwen.ai/authorize?user_code=ABCD-EFGH&client=qwen-code");
        foreach (var (x0, y0) in new[] { (0, 0), (code.Size - 7, 0), (0, code.Size - 7) })
        {
            for (var y = 0; y < 7; y++)
            {
                for (var x = 0; x < 7; x++)
                {
                    var ring = Math.Max(Math.Abs(x - 3), Math.Abs(y - 3));
                    Assert.Equal(ring != 2, code[x0 + x, y0 + y]);
                }
            }
        }

        Assert.True(code[8, code.Size - 8]); // the dark module
    }

    [Fact]
    public void FormatBitsNameLevelLowInBothCopies()
    {
        var code = QrModules.Encode("hello");
        int first = 0, second = 0;
        int[] firstX = [8, 8, 8, 8, 8, 8, 8, 8, 7, 5, 4, 3, 2, 1, 0];
        int[] firstY = [0, 1, 2, 3, 4, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8];
        for (var i = 0; i < 15; i++)
        {
            first |= (code[firstX[i], firstY[i]] ? 1 : 0) << i;
            second |= (i < 8 ? code[code.Size - 1 - i, 8] : code[8, code.Size - 15 + i]) ? 1 << i : 0;
        }

        Assert.Equal(first, second);
        var data = (first ^ 0x5412) >> 10;
        Assert.Equal(0b01, data >> 3); // L
    }

    [Fact]
    public void TerminalRenderingPacksTwoRowsPerLineInsideAQuietZone()
    {
        var code = QrModules.Encode("hello");
        var plain = QrTerminalRenderer.Render(code, color: false, indent: "  ");
        var colored = QrTerminalRenderer.Render(code, color: true);

        var lines = plain.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var width = code.Size + 2 * QrTerminalRenderer.QuietZone;
        Assert.Equal((width + 1) / 2, lines.Length);
        Assert.All(lines, l => Assert.Equal(2 + width, l.Length));
        Assert.All(lines, l => Assert.Matches("^  [ █▀▄]+$", l));
        Assert.StartsWith("  ███", lines[0], StringComparison.Ordinal); // light quiet zone drawn as blocks
        Assert.DoesNotContain('\u001b', plain);
        Assert.Contains("\u001b[30;47m", colored, StringComparison.Ordinal);
        Assert.Contains("\u001b[0m", colored, StringComparison.Ordinal);
    }
}
