using System.Net;

namespace QwenFastProxy.Upstream;

/// <summary>
/// A request body already in memory, sent in one write. Unlike <see cref="ReadOnlyMemoryContent"/> it can be pointed
/// at the next request's body, so a connection's upstream message is reused with its content and headers.
/// </summary>
internal sealed class BodyContent : HttpContent
{
    private ReadOnlyMemory<byte> _body;

    /// <summary>Sends <paramref name="body"/> from now on; its length becomes the Content-Length.</summary>
    public void Set(ReadOnlyMemory<byte> body)
    {
        _body = body;
        // Set, not computed: HttpContent caches a computed length, which would outlive the body it measured.
        Headers.ContentLength = body.Length;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(_body).AsTask();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(_body, cancellationToken).AsTask();

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.Write(_body.Span);

    protected override bool TryComputeLength(out long length)
    {
        length = _body.Length;
        return true;
    }

    protected override Stream CreateContentReadStream(CancellationToken cancellationToken) => new MemoryStream(_body.ToArray(), writable: false);
}
