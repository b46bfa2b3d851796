using System.Buffers;
using QwenFastProxy.Http;

namespace QwenFastProxy.Streaming;

/// <summary>
/// What <see cref="BodyRelay"/> passes an upstream event stream through, frame by frame: the stutter repair
/// (<see cref="StreamRepairer"/>), or the repair followed by a translation into another API's events.
/// </summary>
internal interface IEventStreamRewriter
{
    /// <summary>When <see cref="Expire"/> must run even if the upstream sends nothing (held frames, a keep-alive); null when never.</summary>
    long? Deadline { get; }

    /// <summary>Processes one raw frame (blank line included) and writes what is ready to <paramref name="output"/>.</summary>
    FrameResult Process(in ReadOnlySequence<byte> raw, IBufferWriter<byte> output);

    /// <summary>The <see cref="Deadline"/> passed: write what is due.</summary>
    void Expire(IBufferWriter<byte> output);

    /// <summary>The upstream ended the stream without its end marker: write what is still owed and end it.</summary>
    void Complete(IBufferWriter<byte> output, string reason);

    /// <summary>The upstream broke the stream (or sent too much garbage): end it so the client sees the error.</summary>
    void Fail(IBufferWriter<byte> output, in HttpError error);
}
