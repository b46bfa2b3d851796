using System.Net;
using System.Net.Sockets;

namespace QwenFastProxy.Configuration;

/// <summary>Validation of listen addresses (<c>HOST</c>, <c>--host</c>).</summary>
internal static class HostAddress
{
    /// <summary>What an accepted value looks like, for error messages.</summary>
    public const string Expected = "expected an IP address (such as 127.0.0.1, 0.0.0.0 or ::1) or localhost";

    /// <summary>
    /// Accepts <c>localhost</c> (any case), a dotted-quad IPv4 address or an IPv6 address (brackets allowed).
    /// Short IPv4 forms such as <c>127.1</c> are refused: they parse, but nobody means them.
    /// The result is the address in canonical form, or <c>localhost</c>.
    /// </summary>
    public static bool TryNormalize(string? raw, out string? normalized)
    {
        normalized = null;
        string value = raw?.Trim() ?? string.Empty;
        if (value.Length == 0)
        {
            return false;
        }

        if (string.Equals(value, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            normalized = "localhost";
            return true;
        }

        if (!IPAddress.TryParse(value, out IPAddress? address))
        {
            return false;
        }

        bool ok = address.AddressFamily switch
        {
            AddressFamily.InterNetworkV6 => value.Contains(':', StringComparison.Ordinal),
            AddressFamily.InterNetwork => IsDottedQuad(value),
            _ => false,
        };
        if (ok)
        {
            normalized = address.ToString();
        }

        return ok;
    }

    private static bool IsDottedQuad(string value)
    {
        string[] parts = value.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is < 1 or > 3 || !part.All(char.IsAsciiDigit))
            {
                return false;
            }
        }

        return true;
    }
}
