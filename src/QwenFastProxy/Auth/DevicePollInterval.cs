namespace QwenFastProxy.Auth;

/// <summary>How often the device flow polls the token endpoint.</summary>
internal static class DevicePollInterval
{
    /// <summary>Where Qwen Code starts when the server names no interval.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(2);

    /// <summary>The longest interval <c>slow_down</c> grows to (Qwen Code's cap).</summary>
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(10);

    /// <summary>The first interval: the server's <c>interval</c> when it sends one, else <see cref="Default"/>.</summary>
    public static TimeSpan Initial(TimeSpan? serverInterval) =>
        serverInterval is { } interval && interval > TimeSpan.Zero ? interval : Default;

    /// <summary>
    /// After <c>slow_down</c>: 1.5 times the current interval, at most <see cref="Max"/>; an interval the server
    /// itself set above the cap is kept, never shortened.
    /// </summary>
    public static TimeSpan AfterSlowDown(TimeSpan current) =>
        current >= Max ? current : TimeSpan.FromTicks(Math.Min((long)(current.Ticks * 1.5), Max.Ticks));
}
