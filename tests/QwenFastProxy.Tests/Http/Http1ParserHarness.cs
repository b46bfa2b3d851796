using System.Buffers;
using System.Text;
using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

/// <summary>Runs <see cref="Http1Parser"/> over bytes whole or in pieces, and captures what it produced as a comparable value.</summary>
internal static class Http1ParserHarness
{
    // The limits most tests parse under; the tests of the limits themselves pass their own.
    public const int MaxHeaderBytes = 4096;
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>A GET request line of exactly <paramref name="length"/> bytes, CRLF not included.</summary>
    public static string RequestLineOfLength(int length)
    {
        // "GET /aaa… HTTP/1.1"
        var target = "/" + new string('a', length - "GET / HTTP/1.1".Length);
        return $"GET {target} HTTP/1.1";
    }

    public static (ParseStatus Status, Http1Parser Parser, HttpRequest Request, long Consumed) Parse(
        ReadOnlySequence<byte> sequence, int maxHeaderBytes = MaxHeaderBytes, long maxBodyBytes = MaxBodyBytes)
    {
        var parser = new Http1Parser(maxHeaderBytes, maxBodyBytes);
        var request = new HttpRequest(maxHeaderBytes);
        request.Reset();
        parser.Reset();
        var reader = new SequenceReader<byte>(sequence);
        var status = parser.ParseHead(ref reader, request);
        return (status, parser, request, reader.Consumed);
    }

    public static ParseOutcome Outcome(ReadOnlySequence<byte> sequence, int maxHeaderBytes)
    {
        var (status, parser, request, consumed) = Parse(sequence, maxHeaderBytes);
        return ParseOutcome.From(status, parser, request, consumed, sequence.Length);
    }

    /// <summary>
    /// Feeds one byte at a time the way the connection does: what the parser did not consume stays in
    /// front of the next byte (as a separate segment), and the parser keeps its state in between.
    /// </summary>
    public static ParseOutcome ParseByteByByte(byte[] bytes, int maxHeaderBytes)
    {
        var parser = new Http1Parser(maxHeaderBytes, MaxBodyBytes);
        var request = new HttpRequest(maxHeaderBytes);
        request.Reset();
        parser.Reset();
        byte[] pending = [];
        long consumed = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            var sequence = Segments(pending, [bytes[i]]);
            var reader = new SequenceReader<byte>(sequence);
            var status = parser.ParseHead(ref reader, request);
            consumed += reader.Consumed;
            if (status != ParseStatus.Incomplete)
            {
                return ParseOutcome.From(status, parser, request, consumed, i + 1);
            }
            pending = sequence.Slice(reader.Position).ToArray();
        }
        return ParseOutcome.From(ParseStatus.Incomplete, parser, request, consumed, bytes.Length);
    }

    /// <summary>Everything observable after a parse, as a comparable value.</summary>
    public sealed record ParseOutcome(
        ParseStatus Status,
        int ErrorStatus,
        string? ErrorMessage,
        long Consumed,
        string Method,
        HttpMethodKind MethodKind,
        string Target,
        bool IsHttp10,
        bool KeepAlive,
        long ContentLength,
        bool IsChunked,
        bool ExpectContinue,
        string Headers,
        long BytesFed)
    {
        public static ParseOutcome From(ParseStatus status, Http1Parser parser, HttpRequest request, long consumed, long bytesFed)
        {
            if (status == ParseStatus.Error)
            {
                // Where the reader stopped inside a refused line carries no meaning.
                return new(status, parser.Error.Status, parser.Error.Message, 0, "", default, "", false, false, 0, false, false, "", bytesFed);
            }
            if (status == ParseStatus.Incomplete)
            {
                return new(status, 0, null, consumed, "", default, "", false, false, 0, false, false, "", bytesFed);
            }
            var headers = new StringBuilder();
            for (var i = 0; i < request.Headers.Count; i++)
            {
                headers.Append(Latin1(request.Headers.NameAt(i))).Append(": ").Append(Latin1(request.Headers.ValueAt(i))).Append('\n');
            }
            return new(
                status, 0, null, consumed, Latin1(request.MethodBytes), request.Method, Latin1(request.Target), request.IsHttp10,
                request.KeepAlive, request.ContentLength, request.IsChunked, request.ExpectContinue, headers.ToString(), bytesFed);
        }
    }
}
