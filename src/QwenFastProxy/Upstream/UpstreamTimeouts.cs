namespace QwenFastProxy.Upstream;

/// <summary>The upstream timeouts: REQUEST_TIMEOUT_SECONDS, STREAMING_TIMEOUT_SECONDS and READ_TIMEOUT_SECONDS.</summary>
/// <param name="Request">REQUEST_TIMEOUT_SECONDS: a whole non-streaming exchange.</param>
/// <param name="Streaming">STREAMING_TIMEOUT_SECONDS: a whole streaming exchange.</param>
/// <param name="Read">READ_TIMEOUT_SECONDS: the longest silence between two upstream reads.</param>
internal sealed record UpstreamTimeouts(TimeSpan Request, TimeSpan Streaming, TimeSpan Read);
