namespace QwenFastProxy.Http;

/// <summary>
/// Answers one request by writing into <see cref="RequestContext.Response"/>. Implementations may leave
/// bytes unflushed: the connection flushes before it waits for the next request, which lets pipelined
/// requests share one write.
/// </summary>
internal interface IRequestHandler
{
    /// <summary>Handles the request; must not throw for expected failures (write an error response instead).</summary>
    ValueTask HandleAsync(RequestContext context);
}
