using System.Text;

namespace QwenFastProxy.Cli.Login;

/// <summary>
/// Draws a <see cref="QrModules"/> with Unicode half blocks, two modules per character cell, inside a quiet zone.
/// With colour (a terminal), black on white is set explicitly so any theme shows the right polarity. Without it
/// (a log file), light modules are drawn as blocks, which reads correctly on the usual dark terminal background
/// (like <c>qrencode -t UTF8</c>); phone scanners also read the inverted code a light background shows.
/// </summary>
public static class QrTerminalRenderer
{
    /// <summary>Light modules around the symbol; the standard asks for 4, scanners manage with 2 on a screen.</summary>
    public const int QuietZone = 2;

    private const string BlackOnWhite = "\u001b[30;47m";
    private const string Reset = "\u001b[0m";

    /// <summary>The code as lines of text, each prefixed with <paramref name="indent"/>; every line ends with a newline.</summary>
    public static string Render(QrModules code, bool color, string indent = "")
    {
        ArgumentNullException.ThrowIfNull(code);
        int start = -QuietZone, end = code.Size + QuietZone;
        var text = new StringBuilder((end - start + 16) * ((end - start) / 2 + 1));
        for (int y = start; y < end; y += 2)
        {
            text.Append(indent);
            if (color)
            {
                text.Append(BlackOnWhite);
            }

            for (int x = start; x < end; x++)
            {
                // Rows past the bottom of the quiet zone count as light.
                bool top = code[x, y];
                bool bottom = y + 1 < end && code[x, y + 1];
                text.Append(color ? Cell(top, bottom) : Cell(!top, !bottom && y + 1 < end));
            }

            if (color)
            {
                text.Append(Reset);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The half-block character showing foreground where <paramref name="top"/>/<paramref name="bottom"/> are set.</summary>
    private static char Cell(bool top, bool bottom) => (top, bottom) switch
    {
        (true, true) => '\u2588',   // █
        (true, false) => '\u2580',  // ▀
        (false, true) => '\u2584',  // ▄
        _ => ' ',
    };
}
