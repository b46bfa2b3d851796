namespace QwenFastProxy.Cli.Hosting;

/// <summary>
/// Runs each exchange on the socket event thread that read its bytes, the way an nginx worker runs its connections:
/// no hand-off to the thread pool between the socket, the proxy and the upstream, so no wake-up and no context
/// switch per read. The runtime's inline completions and Kestrel's inline scheduling only pay together (each alone
/// still hops once), so one switch decides both.
/// </summary>
/// <remarks>
/// The runtime reads <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> once, when the first socket starts, so
/// <see cref="Configure"/> runs first thing in <c>Main</c>. With it on, the runtime runs one event thread per core
/// (<c>DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT</c> overrides). Its price is that nothing on the request path may
/// block: a blocked event thread stalls every connection it serves. Logging, the usage ledger and credential
/// refreshes hand their work to queues or tasks for that reason.
/// </remarks>
internal static class EventThreads
{
    /// <summary>The runtime's switch; <c>1</c> runs socket continuations on the event thread.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Turns inline completions on unless the environment already decided (<c>0</c> keeps the thread-pool hand-off,
    /// a way out for whoever suspects the inline path).
    /// </summary>
    public static void Configure()
    {
        if (ValueToSet(Environment.GetEnvironmentVariable(InlineCompletionsVariable)) is { } value)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, value);
        }
    }

    /// <summary>What <see cref="Configure"/> sets given the variable's current value; null leaves it alone.</summary>
    internal static string? ValueToSet(string? current) => current is null ? "1" : null;

    /// <summary>True when socket continuations run inline: the transport should then schedule inline too.</summary>
    public static bool Inline => Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1";
}
