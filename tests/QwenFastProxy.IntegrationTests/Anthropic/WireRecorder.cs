using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace QwenFastProxy.IntegrationTests.Anthropic;

/// <summary>
/// Sits in the SDK's own HTTP pipeline and keeps, per exchange, the request headers it sent and every response byte
/// it read: the raw transcript of exactly the request the SDK made, not of a look-alike sent beside it.
/// </summary>
internal sealed class WireRecorder : DelegatingHandler
{
    private readonly ConcurrentQueue<Exchange> _exchanges = new();

    public IReadOnlyList<Exchange> Exchanges => [.. _exchanges];

    /// <summary>The one exchange a test made (the SDK's retries are off, so one call is one exchange).</summary>
    public Exchange Single => Assert.Single(_exchanges);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var exchange = new Exchange(request.Headers.ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase));
        _exchanges.Enqueue(exchange);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        exchange.Status = response.StatusCode;
        response.Content = new TeeContent(response.Content, exchange);
        return response;
    }

    /// <summary>One request and what came back of its answer.</summary>
    public sealed class Exchange(IReadOnlyDictionary<string, string> requestHeaders)
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _body = new();

        public IReadOnlyDictionary<string, string> RequestHeaders { get; } = requestHeaders;

        public HttpStatusCode Status { get; internal set; }

        /// <summary>The response body bytes the client read, as they came off the wire (chunking undone).</summary>
        public byte[] Body
        {
            get
            {
                lock (_body)
                {
                    return _body.WrittenSpan.ToArray();
                }
            }
        }

        public string Text => Encoding.UTF8.GetString(Body);

        internal void Append(ReadOnlySpan<byte> bytes)
        {
            lock (_body)
            {
                System.Buffers.BuffersExtensions.Write(_body, bytes);
            }
        }
    }

    /// <summary>The response content, read through a stream that copies each byte into the exchange.</summary>
    private sealed class TeeContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly Exchange _exchange;

        public TeeContent(HttpContent inner, Exchange exchange)
        {
            _inner = inner;
            _exchange = exchange;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new TeeStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _exchange);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var tee = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
            await tee.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private sealed class TeeStream(Stream inner, Exchange exchange) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            exchange.Append(buffer[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            exchange.Append(buffer.Span[..read]);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
