using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;
using QwenFastProxy.Http;
using Xunit.Abstractions;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

/// <summary>
/// Property-based fuzzing of the incremental request parser (<see cref="Http1Parser"/> plus
/// <see cref="ChunkedBodyReader"/>), driven the way <see cref="HttpConnection"/> drives it: bytes arrive
/// in pieces, each read sees what is unconsumed, the body follows the head in the same buffer, and up to
/// a few pipelined requests are parsed in turn. Inputs are valid and hostile requests, mutated (bit flips,
/// inserted CR/LF/NUL/SP/colon/HTAB, deletions, truncation, duplicated lines) or random bytes.
/// Properties: no exception, progress on every step (a bounded loop), never consuming more than has
/// arrived nor more than a declared body, and the same outcome whole, in random pieces and byte by byte.
/// CI runs a fixed number of inputs; <c>QFP_FUZZ_SECONDS=300</c> turns it into a timed run.
/// </summary>
public class ParserFuzzTests
{
    private const int MaxHeaderBytes = 512;
    private const long MaxBodyBytes = 4096;
    private const int MaxRequests = 4;

    private readonly ITestOutputHelper _output;

    public ParserFuzzTests(ITestOutputHelper output) => _output = output;

    private static readonly byte[][] Corpus =
    [
        .. new[]
        {
            // valid
            "GET /v1/models HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"model\":\"x\"}",
            "POST /v1/completions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: t\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n000a\r\n0123456789\r\n0\r\n\r\n",
            "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            "GET http://example.com/v1/models?a=b HTTP/1.1\r\nHost: [::1]:80\r\nConnection: close\r\n\r\n",
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost:a\r\nX-A: \t caf{e9} \t\r\nX-B:\r\n\r\n",
            "\r\nGET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nHost: a\r\n\r\n",
            "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /q HTTP/1.1\r\nHost: a\r\n\r\n",
            // hostile (the essence of the hardening table)
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x{00}y\r\nabc\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
            "GET / HTTP/1.1\rHost: a\r\n\r\n",
            "GET / HTTP/1.1\nHost: a\n\n",
            "GET /{00} HTTP/1.1\r\nHost: a\r\nX{00}: b{01}\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
            "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        }.Select(Decode),
    ];

    private static readonly byte[] Specials = "\r\n\0 :\t,;"u8.ToArray();

    /// <summary>(source, mutations as (kind, position, value), cut points).</summary>
    private static readonly Gen<(byte[] Source, (int Kind, int Position, int Value)[] Mutations, int[] Cuts)> Inputs =
        Gen.Select(
            Gen.Frequency(
                (6, (IGen<byte[]>)Gen.Int[0, Corpus.Length - 1].Select(i => Corpus[i])),
                (1, Gen.Byte.Array[0, 200])),
            Gen.Select(Gen.Int[0, 6], Gen.Int[0, int.MaxValue], Gen.Int[0, 255]).Array[0, 6],
            Gen.Int[0, int.MaxValue].Array[0, 10]);

    [Fact]
    public void ParserFuzzAgreesWithItselfWholeAndInPieces()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("QFP_FUZZ_SECONDS"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
        long tried = 0;
        long completed = 0;
        long rejected = 0;
        var clock = Stopwatch.StartNew();
        Inputs.Sample(
            input =>
            {
                var bytes = Mutate(input.Source, input.Mutations);
                var whole = Drive(bytes, [bytes.Length]);
                var pieces = Drive(bytes, Cuts(bytes.Length, input.Cuts));
                Assert.Equal(whole, pieces);
                if (bytes.Length <= 400)
                {
                    Assert.Equal(whole, Drive(bytes, [.. Enumerable.Range(1, bytes.Length)]));
                }
                Interlocked.Increment(ref tried);
                Interlocked.Add(ref completed, whole.Count(o => o.Kind == ParseStatus.Complete));
                Interlocked.Add(ref rejected, whole.Count(o => o.Kind == ParseStatus.Error));
            },
            iter: seconds > 0 ? -1 : 20_000,
            time: seconds > 0 ? seconds : -1,
            print: input => Latin1(Mutate(input.Source, input.Mutations)).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)
                + " cuts=" + string.Join(',', input.Cuts));
        _output.WriteLine($"parser fuzz: {tried} inputs in {clock.Elapsed.TotalSeconds:F1} s; requests completed {completed}, rejected {rejected}");
        Assert.True(tried > 0);
    }

    [Fact]
    public void DriverSeesTheWholePipeline()
    {
        // Sanity check of the harness itself: three pipelined requests, the middle one with a body.
        var bytes = Corpus[8];
        var outcomes = Drive(bytes, Cuts(bytes.Length, [7, 40, 41, 99]));
        // The fourth attempt finds no more bytes and waits.
        Assert.Equal([ParseStatus.Complete, ParseStatus.Complete, ParseStatus.Complete, ParseStatus.Incomplete], outcomes.Select(o => o.Kind));
        Assert.Equal("abc", outcomes[1].Body);
        Assert.Equal(bytes.Length, outcomes[2].Consumed);
    }

    private static byte[] Mutate(byte[] source, (int Kind, int Position, int Value)[] mutations)
    {
        var bytes = new List<byte>(source);
        foreach (var (kind, position, value) in mutations)
        {
            var at = bytes.Count == 0 ? 0 : position % (bytes.Count + 1);
            var inside = Math.Min(at, Math.Max(bytes.Count - 1, 0));
            switch (kind)
            {
                case 0 when bytes.Count > 0:
                    bytes[inside] ^= (byte)(1 << (value & 7));
                    break;
                case 1:
                    bytes.Insert(at, Specials[value % Specials.Length]);
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveAt(inside);
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 4 when bytes.Count > 0:
                {
                    // Duplicate the line holding the position (with its LF).
                    var start = bytes.LastIndexOf((byte)'\n', inside) + 1;
                    var end = bytes.IndexOf((byte)'\n', inside);
                    end = end < 0 ? bytes.Count : end + 1;
                    bytes.InsertRange(end, bytes.GetRange(start, end - start));
                    break;
                }
                case 5 when bytes.Count > 0:
                    bytes[inside] = (byte)value;
                    break;
                case 6:
                    bytes.InsertRange(at, "\r\n"u8.ToArray());
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Sorted, distinct piece ends inside the input, the last being its length.</summary>
    private static int[] Cuts(int length, int[] raw) =>
        length == 0 ? [0] : [.. raw.Select(c => c % length).Where(c => c > 0).Append(length).Distinct().Order()];

    internal sealed record Outcome(
        ParseStatus Kind, HttpError Error, long Consumed, string Method = "", string Target = "", string Headers = "",
        string Body = "", long ContentLength = 0, bool Chunked = false, bool KeepAlive = false);

    /// <summary>
    /// Parses up to <see cref="MaxRequests"/> requests from <paramref name="input"/>, delivered in pieces
    /// ending at <paramref name="ends"/>, the way HttpConnection reads them. Asserts the per-step invariants.
    /// </summary>
    private static List<Outcome> Drive(byte[] input, int[] ends)
    {
        var parser = new Http1Parser(MaxHeaderBytes, MaxBodyBytes);
        var chunked = new ChunkedBodyReader(MaxHeaderBytes, MaxBodyBytes);
        var request = new HttpRequest(MaxHeaderBytes);
        var outcomes = new List<Outcome>();
        long consumed = 0;
        var arrivedPieces = 0;
        long arrived = 0;
        // Every step either consumes bytes, completes an element, or takes the next piece.
        var stepLimit = 2L * input.Length + ends.Length + 4 * MaxRequests + 8;
        var steps = 0L;
        try
        {
            for (var r = 0; r < MaxRequests; r++)
            {
                request.Reset();
                parser.Reset();
                chunked.Reset();
                var inHead = true;
                long remaining = 0;
                long bodyStart = 0;
                while (true)
                {
                    Assert.True(++steps <= stepLimit, "the parser stopped making progress");
                    var sequence = View(input, consumed, arrived, ends);
                    var reader = new SequenceReader<byte>(sequence);
                    ParseStatus status;
                    HttpError error = default;
                    if (inHead)
                    {
                        status = sequence.IsEmpty ? ParseStatus.Incomplete : parser.ParseHead(ref reader, request);
                        error = parser.Error;
                    }
                    else if (request.IsChunked)
                    {
                        status = chunked.Read(ref reader, request.Content);
                        error = chunked.Error;
                    }
                    else
                    {
                        var take = Math.Min(remaining, sequence.Length);
                        request.Content.Append(sequence.Slice(0, take));
                        reader.Advance(take);
                        remaining -= take;
                        status = remaining == 0 ? ParseStatus.Complete : ParseStatus.Incomplete;
                    }
                    consumed += reader.Consumed;
                    Assert.True(consumed <= arrived, "consumed bytes that had not arrived");

                    if (status == ParseStatus.Error)
                    {
                        Assert.True(error.Status is >= 400 and < 600, $"error without a status: {error}");
                        outcomes.Add(new Outcome(status, error, consumed));
                        return outcomes;
                    }
                    if (status == ParseStatus.Complete && inHead && request.HasBody)
                    {
                        inHead = false;
                        bodyStart = consumed;
                        remaining = request.IsChunked ? -1 : request.ContentLength;
                        continue;
                    }
                    if (status == ParseStatus.Complete)
                    {
                        var body = request.Body;
                        if (!inHead && !request.IsChunked)
                        {
                            // Never reads past a declared body.
                            Assert.Equal(request.ContentLength, consumed - bodyStart);
                            Assert.Equal(request.ContentLength, body.Length);
                        }
                        if (request.IsChunked)
                        {
                            Assert.True(body.Length <= consumed - bodyStart);
                        }
                        Assert.True(body.Length <= MaxBodyBytes);
                        outcomes.Add(Completed(request, consumed));
                        break;
                    }
                    if (arrivedPieces == ends.Length)
                    {
                        outcomes.Add(new Outcome(ParseStatus.Incomplete, default, consumed));
                        return outcomes;
                    }
                    arrived = ends[arrivedPieces++];
                }
            }
            return outcomes;
        }
        finally
        {
            request.Content.Dispose();
        }
    }

    private static Outcome Completed(HttpRequest request, long consumed)
    {
        var headers = new StringBuilder();
        for (var i = 0; i < request.Headers.Count; i++)
        {
            headers.Append(Latin1(request.Headers.NameAt(i))).Append(": ").Append(Latin1(request.Headers.ValueAt(i))).Append('\n');
        }
        return new Outcome(
            ParseStatus.Complete, default, consumed, Latin1(request.MethodBytes), Latin1(request.Target), headers.ToString(),
            Latin1(request.Body.Span), request.ContentLength, request.IsChunked, request.KeepAlive);
    }

    /// <summary>The unconsumed, arrived bytes, one segment per piece (as a socket would deliver them).</summary>
    private static ReadOnlySequence<byte> View(byte[] input, long consumed, long arrived, int[] ends)
    {
        var parts = new List<byte[]>();
        var start = (int)consumed;
        foreach (var end in ends)
        {
            if (end > arrived)
            {
                break;
            }
            if (end > start)
            {
                parts.Add(input[start..end]);
                start = end;
            }
        }
        return parts.Count == 0 ? ReadOnlySequence<byte>.Empty : Segments([.. parts]);
    }
}
