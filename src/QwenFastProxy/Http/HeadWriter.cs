using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace QwenFastProxy.Http;

/// <summary>
/// Writes a response head straight into the connection's output buffer: pre-built byte lines for the
/// fixed parts, numbers formatted in place. One span is taken from the writer and filled; a new one is
/// taken only when a header does not fit (the slow path).
/// </summary>
internal ref struct HeadWriter
{
    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _written;

    public HeadWriter(IBufferWriter<byte> output)
    {
        _output = output;
        _span = output.GetSpan(512);
        _written = 0;
    }

    /// <summary>Status line, Date, Server and the CORS origin every response carries.</summary>
    public void Start(int status)
    {
        Write(HttpStatus.StatusLine(status));
        Write(DateHeader.Line);
        Write("Server: qwenfastproxy\r\nAccess-Control-Allow-Origin: *\r\n"u8);
    }

    /// <summary>A complete pre-built header line, CRLF included.</summary>
    public void Line(ReadOnlySpan<byte> line) => Write(line);

    /// <summary>"name: value\r\n" with both as ASCII/Latin-1 strings (headers relayed from upstream).</summary>
    public void Header(string name, string value)
    {
        WriteLatin1(name);
        Write(": "u8);
        WriteLatin1(value);
        Write("\r\n"u8);
    }

    /// <summary>"name: value\r\n" with a pre-built name and an ASCII/Latin-1 string value.</summary>
    public void Header(ReadOnlySpan<byte> name, string value)
    {
        Write(name);
        Write(": "u8);
        WriteLatin1(value);
        Write("\r\n"u8);
    }

    private void WriteLatin1(string text)
    {
        var bytes = Encoding.Latin1.GetByteCount(text);
        Ensure(bytes);
        Encoding.Latin1.GetBytes(text, _span[_written..]);
        _written += bytes;
    }

    public void ContentLength(long length)
    {
        Write("Content-Length: "u8);
        Ensure(20);
        Utf8Formatter.TryFormat(length, _span[_written..], out var used);
        _written += used;
        Write("\r\n"u8);
    }

    /// <summary>Closes the head: the Connection header, the blank line, then commits the bytes.</summary>
    public void End(bool keepAlive, bool isHttp10)
    {
        if (!keepAlive)
        {
            Write("Connection: close\r\n\r\n"u8);
        }
        else if (isHttp10)
        {
            Write("Connection: keep-alive\r\n\r\n"u8);
        }
        else
        {
            Write("\r\n"u8);
        }
        _output.Advance(_written);
        _written = 0;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= _span.Length - _written)
        {
            bytes.CopyTo(_span[_written..]);
            _written += bytes.Length;
            return;
        }
        WriteSlow(bytes);
    }

    private void WriteSlow(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_span[_written..]);
        _written += bytes.Length;
    }

    private void Ensure(int bytes)
    {
        if (bytes <= _span.Length - _written)
        {
            return;
        }
        _output.Advance(_written);
        _written = 0;
        _span = _output.GetSpan(bytes);
    }
}
