using System.Text.RegularExpressions;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace QwenFastProxy.Cli.Tests.Login;

/// <summary>
/// Reads a QR code the way a phone would from the terminal: the half-block text becomes a grey picture (each
/// character cell one module wide and two high) that ZXing's detector and decoder must find and read.
/// </summary>
internal static partial class TerminalQrReader
{
    // Pixels per module side: enough for the detector's sampling grid to land inside each module.
    private const int Scale = 4;
    private const byte Dark = 0;
    private const byte Light = 255;

    /// <summary>What was read: the text and how many codewords error correction had to repair.</summary>
    public sealed record Reading(string Text, int ErrorsCorrected, string Level);

    /// <summary>
    /// Decodes <paramref name="rendered"/>. With <paramref name="color"/> the glyphs are black on white; without it
    /// they are drawn in a dark theme's light foreground on its dark background. Null when nothing is found.
    /// </summary>
    public static Reading? Read(string rendered, bool color)
    {
        string[] lines = AnsiEscape().Replace(rendered, string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int columns = lines.Max(l => l.Length);
        int width = columns * Scale, height = lines.Length * 2 * Scale;
        byte glyph = color ? Dark : Light, background = color ? Light : Dark;

        var pixels = new byte[width * height];
        Array.Fill(pixels, background);
        for (int row = 0; row < lines.Length; row++)
        {
            for (int column = 0; column < lines[row].Length; column++)
            {
                (bool top, bool bottom) = lines[row][column] switch
                {
                    '\u2588' => (true, true),
                    '\u2580' => (true, false),
                    '\u2584' => (false, true),
                    ' ' => (false, false),
                    char other => throw new ArgumentException($"not a half block: U+{(int)other:X4}", nameof(rendered)),
                };
                Paint(pixels, width, column, row * 2, top ? glyph : background);
                Paint(pixels, width, column, row * 2 + 1, bottom ? glyph : background);
            }
        }

        var source = new RGBLuminanceSource(pixels, width, height, RGBLuminanceSource.BitmapFormat.Gray8);
        var hints = new Dictionary<DecodeHintType, object> { [DecodeHintType.TRY_HARDER] = true };
        Result? result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), hints);
        if (result is null)
        {
            return null;
        }

        int corrected = result.ResultMetadata.TryGetValue(ResultMetadataType.ERRORS_CORRECTED, out object? count) ? (int)count : -1;
        string level = result.ResultMetadata.TryGetValue(ResultMetadataType.ERROR_CORRECTION_LEVEL, out object? ecc) ? $"{ecc}" : "?";
        return new Reading(result.Text, corrected, level);
    }

    private static void Paint(byte[] pixels, int width, int moduleX, int moduleY, byte value)
    {
        for (int y = moduleY * Scale; y < (moduleY + 1) * Scale; y++)
        {
            pixels.AsSpan(y * width + moduleX * Scale, Scale).Fill(value);
        }
    }

    [GeneratedRegex("\u001b\\[[0-9;]*m")]
    private static partial Regex AnsiEscape();
}
