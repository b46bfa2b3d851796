using System.Buffers;
using QwenFastProxy.Http;

namespace QwenFastProxy.Streaming;

/// <summary>
/// How a stream that fails after it started still ends cleanly: one <c>data:</c> object with an
/// <c>error</c> key (the OpenAI SDKs raise it as an API error) and <c>data: [DONE]</c>.
/// </summary>
internal static class SseErrorFrame
{
    /// <param name="output">The body.</param>
    /// <param name="error">What went wrong.</param>
    /// <param name="closeOpenFrame">True when the stream may have stopped inside a frame: blank lines end it first.</param>
    public static void Write(IBufferWriter<byte> output, in HttpError error, bool closeOpenFrame)
    {
        if (closeOpenFrame)
        {
            output.Write("\n\n"u8);
        }
        output.Write("data: "u8);
        ErrorBody.Write(output, error.Message, error.Type, error.Code);
        output.Write("\n\ndata: [DONE]\n\n"u8);
    }
}
