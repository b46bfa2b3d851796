namespace QwenFastProxy.Http;

/// <summary>The endpoint a request is for, decided once from its path and used by dispatch, metrics and the access log.</summary>
public enum RequestRoute : byte
{
    /// <summary>Any path the proxy does not serve.</summary>
    NotFound,

    /// <summary><c>/v1/chat/completions</c>.</summary>
    Chat,

    /// <summary><c>/v1/models</c>.</summary>
    Models,

    /// <summary>Other <c>/v1/...</c> paths, forwarded as they are.</summary>
    Passthrough,

    /// <summary><c>/healthz</c>.</summary>
    Health,

    /// <summary><c>/readyz</c>.</summary>
    Ready,

    /// <summary><c>/metrics</c>.</summary>
    Metrics,

    /// <summary><c>/</c> and <c>/status</c>: the status page.</summary>
    StatusPage,

    /// <summary><c>/status.json</c>: the status page's figures.</summary>
    StatusJson,

    /// <summary><c>/usage</c>: usage per client key and model.</summary>
    Usage,

    /// <summary><c>/v1/messages</c>: the Anthropic Messages API.</summary>
    Messages,

    /// <summary><c>/v1/messages/count_tokens</c>: the Messages API's token count, answered locally.</summary>
    CountTokens,
}

/// <summary>The proxy's endpoint table: paths compared as bytes, the query string not part of them.</summary>
internal static class RequestRoutes
{
    /// <summary>The route of <paramref name="path"/>.</summary>
    public static RequestRoute Of(ReadOnlySpan<byte> path)
    {
        if (path.StartsWith("/v1/"u8))
        {
            return path.SequenceEqual("/v1/chat/completions"u8) ? RequestRoute.Chat
                : path.SequenceEqual("/v1/messages"u8) ? RequestRoute.Messages
                : path.SequenceEqual("/v1/messages/count_tokens"u8) ? RequestRoute.CountTokens
                : path.SequenceEqual("/v1/models"u8) ? RequestRoute.Models
                : RequestRoute.Passthrough;
        }
        return path.SequenceEqual("/healthz"u8) ? RequestRoute.Health
            : path.SequenceEqual("/readyz"u8) ? RequestRoute.Ready
            : path.SequenceEqual("/metrics"u8) ? RequestRoute.Metrics
            : path.SequenceEqual("/"u8) || path.SequenceEqual("/status"u8) ? RequestRoute.StatusPage
            : path.SequenceEqual("/status.json"u8) ? RequestRoute.StatusJson
            : path.SequenceEqual("/usage"u8) ? RequestRoute.Usage
            : RequestRoute.NotFound;
    }
}
