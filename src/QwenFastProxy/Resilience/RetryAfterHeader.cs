using System.Globalization;
using System.Net.Http.Headers;

namespace QwenFastProxy.Resilience;

/// <summary>
/// Reads <c>Retry-After</c> (RFC 9110 §10.2.3): delta-seconds or an HTTP-date, as a wait from "now"; and writes
/// the delta-seconds the proxy's own 503 carries.
/// </summary>
internal static class RetryAfterHeader
{
    /// <summary>Waits beyond a day are clamped: every request deadline is shorter, so the retry is refused either way.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    // RFC 9110 §5.6.7: recipients accept IMF-fixdate and the two obsolete forms (RFC 850, asctime).
    private static readonly string[] HttpDateFormats =
    [
        "r",                              // Sun, 06 Nov 1994 08:49:37 GMT
        "dddd, dd'-'MMM'-'yy HH:mm:ss 'GMT'", // Sunday, 06-Nov-94 08:49:37 GMT
        "ddd MMM d HH:mm:ss yyyy",        // Sun Nov  6 08:49:37 1994
    ];

    /// <summary>
    /// Parses a header value. A date in the past means zero. False when the value is neither form (then treat
    /// the answer as having no <c>Retry-After</c>).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, DateTimeOffset now, out TimeSpan wait)
    {
        value = value.Trim();
        wait = TimeSpan.Zero;
        if (value.IsEmpty)
        {
            return false;
        }

        if (char.IsAsciiDigit(value[0]))
        {
            foreach (var c in value)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }
            // Long runs of digits are legal; anything past a day clamps.
            wait = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                && seconds < (long)MaxWait.TotalSeconds
                    ? TimeSpan.FromSeconds(seconds)
                    : MaxWait;
            return true;
        }

        if (DateTimeOffset.TryParseExact(value, HttpDateFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowInnerWhite, out var date))
        {
            wait = Clamp(date - now);
            return true;
        }
        return false;
    }

    /// <summary>The wait a header parsed by <see cref="System.Net.Http"/> asks for; zero when absent.</summary>
    public static TimeSpan From(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => Clamp(delta),
        { Date: { } date } => Clamp(date - now),
        _ => TimeSpan.Zero,
    };

    /// <summary>Whole seconds for a <c>Retry-After</c> the proxy sends: rounded up, at least 1 (0 invites an instant retry storm).</summary>
    public static int ToDeltaSeconds(TimeSpan wait)
    {
        if (wait <= TimeSpan.Zero)
        {
            return 1;
        }
        var seconds = Math.Ceiling(Math.Min(wait.TotalSeconds, MaxWait.TotalSeconds));
        return Math.Max(1, (int)seconds);
    }

    private static TimeSpan Clamp(TimeSpan wait) =>
        wait <= TimeSpan.Zero ? TimeSpan.Zero : wait > MaxWait ? MaxWait : wait;
}
