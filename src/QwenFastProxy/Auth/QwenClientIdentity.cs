using System.Runtime.InteropServices;

namespace QwenFastProxy.Auth;

/// <summary>Who the proxy says it is to Qwen, on the OAuth server and the API alike: the official Qwen Code client.</summary>
internal static class QwenClientIdentity
{
    // The official client sends "QwenCode/<version> (<platform>; <arch>)"; the version is ours to pick,
    // as Qwen publishes no list of accepted versions.
    public static readonly string UserAgent =
        $"QwenCode/0.5.0 ({(OperatingSystem.IsWindows() ? "win32" : OperatingSystem.IsMacOS() ? "darwin" : "linux")}; {RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()})";
}
