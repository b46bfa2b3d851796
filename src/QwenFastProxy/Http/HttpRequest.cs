using System.Text;

namespace QwenFastProxy.Http;

/// <summary>
/// One parsed request: request line, headers, framing facts and the body read whole. The connection
/// owns one instance and resets it between requests, so a keep-alive connection reuses its buffers.
/// </summary>
internal sealed class HttpRequest
{
    // Kestrel's MaxRequestLineSize default (8 KB); longer request lines get 414.
    internal const int MaxRequestLineBytes = 8 * 1024;

    private byte[] _target = new byte[256]; // grows up to MaxRequestLineBytes for long targets
    private readonly byte[] _method = new byte[32];
    private int _targetLength;
    private int _methodLength;

    internal HttpRequest(int maxHeaderBytes) => Headers = new RequestHeaders(maxHeaderBytes);

    /// <summary>The method, as far as the router cares.</summary>
    public HttpMethodKind Method { get; internal set; }

    /// <summary>The method token as sent.</summary>
    public ReadOnlySpan<byte> MethodBytes => _method.AsSpan(0, _methodLength);

    /// <summary>The request target in origin form (path and query), e.g. <c>/v1/models?x=1</c>.</summary>
    public ReadOnlySpan<byte> Target => _target.AsSpan(0, _targetLength);

    /// <summary>The path part of <see cref="Target"/>.</summary>
    public ReadOnlySpan<byte> Path
    {
        get
        {
            var target = Target;
            var query = target.IndexOf((byte)'?');
            return query < 0 ? target : target[..query];
        }
    }

    /// <summary>True for HTTP/1.0, false for HTTP/1.1.</summary>
    public bool IsHttp10 { get; internal set; }

    /// <summary>The header fields.</summary>
    public RequestHeaders Headers { get; }

    /// <summary>Declared Content-Length, or -1 when none was sent.</summary>
    public long ContentLength { get; internal set; } = -1;

    /// <summary>True when the body uses chunked transfer coding.</summary>
    public bool IsChunked { get; internal set; }

    /// <summary>True when the connection may serve another request after this one.</summary>
    public bool KeepAlive { get; internal set; }

    /// <summary>True when the client sent <c>Expect: 100-continue</c>.</summary>
    public bool ExpectContinue { get; internal set; }

    /// <summary>
    /// The body, read whole (empty when there is none). Valid until the next request, or until
    /// <see cref="RequestContext.ReleaseSentBodies"/> once the upstream has it.
    /// </summary>
    public ReadOnlyMemory<byte> Body => Content.Memory;

    /// <summary>The body's length as received, known after the body itself is released.</summary>
    public int BodyLength => Content.Length;

    internal RequestBody Content { get; } = new();

    /// <summary>True when a body follows the head (Content-Length above zero, or chunked).</summary>
    public bool HasBody => IsChunked || ContentLength > 0;

    /// <summary>The target as a string (allocates; used when building the upstream URL).</summary>
    public string TargetString() => Encoding.ASCII.GetString(Target);

    internal void SetMethod(ReadOnlySpan<byte> method, HttpMethodKind kind)
    {
        method.CopyTo(_method);
        _methodLength = method.Length;
        Method = kind;
    }

    internal void SetTarget(ReadOnlySpan<byte> target)
    {
        EnsureTarget(target.Length);
        target.CopyTo(_target);
        _targetLength = target.Length;
    }

    internal void SetTarget(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> rest)
    {
        EnsureTarget(prefix.Length + rest.Length);
        prefix.CopyTo(_target);
        rest.CopyTo(_target.AsSpan(prefix.Length));
        _targetLength = prefix.Length + rest.Length;
    }

    private void EnsureTarget(int length)
    {
        if (length > _target.Length)
        {
            _target = new byte[Math.Max(length, Math.Min(_target.Length * 2, MaxRequestLineBytes))];
        }
    }

    internal void Reset()
    {
        Method = HttpMethodKind.Other;
        _methodLength = 0;
        _targetLength = 0;
        IsHttp10 = false;
        ContentLength = -1;
        IsChunked = false;
        KeepAlive = true;
        ExpectContinue = false;
        Headers.Clear();
        Content.Reset();
    }
}
