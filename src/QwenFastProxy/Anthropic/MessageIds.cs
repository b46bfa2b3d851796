namespace QwenFastProxy.Anthropic;

/// <summary>The <c>msg_</c> ids of translated answers, whole or streamed, made in one place so they look alike.</summary>
internal static class MessageIds
{
    private const string Prefix = "msg_";
    private const string ChatPrefix = "chatcmpl-";

    /// <summary>A fresh id.</summary>
    public static string New() => Prefix + Guid.NewGuid().ToString("N");

    /// <summary>
    /// The id for an answer the upstream named <paramref name="upstreamId"/>: its own id stays readable after the prefix
    /// (<c>chatcmpl-9</c> → <c>msg_9</c>), so a log line can still be matched with the upstream's; a fresh one without it.
    /// </summary>
    public static string From(string? upstreamId) => upstreamId switch
    {
        null or "" => New(),
        _ when upstreamId.StartsWith(ChatPrefix, StringComparison.Ordinal) && upstreamId.Length > ChatPrefix.Length => Prefix + upstreamId[ChatPrefix.Length..],
        _ => Prefix + upstreamId,
    };
}
