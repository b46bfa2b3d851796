using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace QwenFastProxy.Http;

/// <summary>
/// The response side of one exchange: writes the head and body into the connection's
/// <see cref="PipeWriter"/> and keeps what the access log needs (status, bytes, time to first byte).
/// Bodies of unknown length use chunked coding for HTTP/1.1 and close-delimited bodies for HTTP/1.0.
/// </summary>
internal sealed class ResponseOutput
{
    internal static ReadOnlySpan<byte> JsonContentType => "Content-Type: application/json\r\n"u8;

    private readonly PipeWriter _writer;
    private bool _chunked;
    private bool _http10;

    internal ResponseOutput(PipeWriter writer)
    {
        _writer = writer;
        Body = new BodyWriter(this);
    }

    /// <summary>The body as a buffer writer (chunk-framed when chunked); call <see cref="BodyWriter.Commit"/> before flushing.</summary>
    internal BodyWriter Body { get; }

    /// <summary>The status sent, or 0 while no head has been written.</summary>
    public int StatusCode { get; private set; }

    /// <summary>True once the head is in the output buffer.</summary>
    public bool HasStarted => StatusCode != 0;

    /// <summary>Body bytes written (payload only, without chunk framing).</summary>
    public long BodyBytes { get; private set; }

    /// <summary>Whether the connection stays open after this response.</summary>
    public bool KeepAlive { get; private set; }

    /// <summary>The error this response reported, proxy-made or mid-stream; null when all went well.</summary>
    public HttpError? Error { get; private set; }

    /// <summary>Stopwatch timestamp of the first flush that carried response bytes, or 0.</summary>
    public long FirstByteTimestamp { get; private set; }

    /// <summary>
    /// Errors are written in Anthropic's shape (the Messages API's routes) rather than OpenAI's. Set by the router
    /// from the route, for each request.
    /// </summary>
    public bool AnthropicErrors { get; internal set; }

    internal void Reset(bool keepAlive, bool http10)
    {
        AnthropicErrors = false;
        StatusCode = 0;
        BodyBytes = 0;
        FirstByteTimestamp = 0;
        Error = null;
        KeepAlive = keepAlive;
        _http10 = http10;
        _chunked = false;
    }

    /// <summary>After this response the connection closes (framing can no longer be trusted, or shutdown).</summary>
    public void ForceClose()
    {
        if (!HasStarted)
        {
            KeepAlive = false;
        }
    }

    /// <summary>A whole response with a body known up front.</summary>
    /// <param name="status">Status code.</param>
    /// <param name="headerLines">Pre-built header lines (each with CRLF), e.g. the content type.</param>
    /// <param name="body">The body; may be empty.</param>
    public void WriteComplete(int status, ReadOnlySpan<byte> headerLines, ReadOnlySpan<byte> body)
    {
        var head = new HeadWriter(_writer);
        StartHead(ref head, status);
        head.Line(headerLines);
        if (status is not (204 or 304) && status >= 200)
        {
            head.ContentLength(body.Length);
        }
        head.End(KeepAlive, _http10);
        if (!body.IsEmpty)
        {
            _writer.Write(body);
            BodyBytes += body.Length;
        }
    }

    /// <summary>
    /// An OpenAI-shaped error response (Anthropic-shaped with <see cref="AnthropicErrors"/>). It leaves keep-alive alone: the status does not tell a broken framing
    /// from a bad body on a well-framed request (both are 400), so whoever knows closes the connection first
    /// (<see cref="ForceClose"/>, or the connection loop's own refusals).
    /// </summary>
    public void WriteError(in HttpError error) => WriteError(error, default);

    /// <summary>An OpenAI-shaped error response with extra header lines (each with CRLF), e.g. a <c>Retry-After</c>.</summary>
    /// <param name="error">Status and message.</param>
    /// <param name="extraHeaderLines">Pre-built header lines added after the content type; may be empty.</param>
    public void WriteError(in HttpError error, ReadOnlySpan<byte> extraHeaderLines)
    {
        Error = error;
        ReadOnlySpan<byte> body = AnthropicErrors ? AnthropicErrorBody.ToBytes(error) : ErrorBody.ToBytes(error);
        var head = new HeadWriter(_writer);
        StartHead(ref head, error.Status);
        head.Line(JsonContentType);
        head.Line(extraHeaderLines);
        head.ContentLength(body.Length);
        head.End(KeepAlive, _http10);
        _writer.Write(body);
        BodyBytes += body.Length;
    }

    /// <summary>Starts a head whose body follows; call <see cref="EndHead"/> after adding headers.</summary>
    /// <param name="status">Status code.</param>
    /// <param name="contentLength">Body length, or -1 when unknown (streamed).</param>
    internal HeadWriter BeginHead(int status, long contentLength)
    {
        var head = new HeadWriter(_writer);
        StartHead(ref head, status);
        if (contentLength >= 0)
        {
            head.ContentLength(contentLength);
        }
        else if (_http10)
        {
            KeepAlive = false; // HTTP/1.0 has no chunked coding: the body ends when the connection does
        }
        else
        {
            _chunked = true;
            head.Line("Transfer-Encoding: chunked\r\n"u8);
        }
        return head;
    }

    internal void EndHead(ref HeadWriter head) => head.End(KeepAlive, _http10);

    /// <summary>
    /// The largest write-size hint that the transport's memory pool serves: Kestrel's pinned block pool hands
    /// out 4 KB blocks, and a larger hint makes the pipe allocate a fresh array instead (one per call).
    /// </summary>
    internal const int PooledBlockSize = 4096;

    /// <summary>Body bytes that fit in one pooled block with their chunk framing: the read size of a relay.</summary>
    internal const int PooledBodyBytes = PooledBlockSize - ChunkedEncoding.PrefixLength - 2;

    /// <summary>Space for body bytes; complete with <see cref="CommitBody"/>. Keep hints at or under <see cref="PooledBlockSize"/> on hot paths.</summary>
    internal Memory<byte> GetBodyMemory(int sizeHint) =>
        _chunked ? ChunkedEncoding.Begin(_writer, sizeHint) : _writer.GetMemory(sizeHint);

    internal void CommitBody(int count)
    {
        if (_chunked)
        {
            ChunkedEncoding.Commit(_writer, count);
        }
        else
        {
            _writer.Advance(count);
        }
        BodyBytes += count;
    }

    /// <summary>Copies body bytes (framed as a chunk when chunked).</summary>
    public void WriteBody(ReadOnlySpan<byte> bytes)
    {
        if (_chunked)
        {
            ChunkedEncoding.Write(_writer, bytes);
        }
        else
        {
            _writer.Write(bytes);
        }
        BodyBytes += bytes.Length;
    }

    /// <summary>Ends a body of unknown length (the last chunk when chunked).</summary>
    public void EndBody()
    {
        if (_chunked)
        {
            _writer.Write(ChunkedEncoding.Terminator);
            _chunked = false;
        }
    }

    /// <summary>
    /// Gives up on a response whose head is already out (the upstream failed mid-body): the body is left
    /// unterminated and the connection closes, which is how HTTP/1.1 tells a client the body is incomplete.
    /// </summary>
    public void Abandon()
    {
        Error ??= ProxyErrors.Interrupted;
        _chunked = false;
        KeepAlive = false;
    }

    /// <summary>Records an error reported inside a body already under way (an SSE error frame), for the log.</summary>
    public void NoteError(in HttpError error) => Error = error;

    /// <summary>Sends what is buffered. False when the client is gone.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        var result = await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (FirstByteTimestamp == 0 && HasStarted)
        {
            FirstByteTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        return !result.IsCompleted && !result.IsCanceled;
    }

    private void StartHead(ref HeadWriter head, int status)
    {
        StatusCode = status;
        head.Start(status);
    }
}
