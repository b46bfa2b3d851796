using System.ComponentModel;
using System.Diagnostics;

namespace QwenFastProxy.Cli.Login;

/// <summary>
/// Tries to open a URL in the user's browser: <c>open</c> on macOS, <c>xdg-open</c> elsewhere on Unix (only when a
/// display is there: <c>DISPLAY</c> or <c>WAYLAND_DISPLAY</c>), the shell on Windows. Never fatal: the URL is shown
/// anyway, so any failure just returns false.
/// </summary>
public static class BrowserLauncher
{
    /// <summary>Starts the opener without waiting for it; false when skipped or when it could not be started.</summary>
    /// <param name="url">An http(s) URL; anything else is refused.</param>
    /// <param name="environment">Reads environment variables (the CLI passes its injected environment).</param>
    public static bool TryOpen(string url, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return false;
        }

        ProcessStartInfo start;
        if (OperatingSystem.IsWindows())
        {
            start = new ProcessStartInfo(uri.AbsoluteUri) { UseShellExecute = true };
        }
        else if (OperatingSystem.IsMacOS())
        {
            start = new ProcessStartInfo("open") { ArgumentList = { uri.AbsoluteUri } };
        }
        else if (!string.IsNullOrEmpty(environment("DISPLAY")) || !string.IsNullOrEmpty(environment("WAYLAND_DISPLAY")))
        {
            start = new ProcessStartInfo("xdg-open") { ArgumentList = { uri.AbsoluteUri } };
        }
        else
        {
            return false; // a headless box: the URL and QR code are the way
        }

        if (!start.UseShellExecute)
        {
            // Whatever the opener prints must not garble the login screen.
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.RedirectStandardInput = true;
        }

        try
        {
            using var process = Process.Start(start);
            return process is not null;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException or PlatformNotSupportedException)
        {
            return false;
        }
    }
}
