using QwenFastProxy.Http;

namespace QwenFastProxy.Streaming;

/// <summary>Errors the stream repair reports inside a stream.</summary>
internal static class StreamErrors
{
    public static readonly HttpError TooManyMalformed =
        new(502, "The upstream stream sent more malformed chunks than STREAMING_MAX_ERRORS allows; the stream was ended.", "upstream_malformed_stream");
}
