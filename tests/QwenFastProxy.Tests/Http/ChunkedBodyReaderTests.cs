using System.Buffers;
using QwenFastProxy.Http;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

public class ChunkedBodyReaderTests
{
    private const int MaxTrailerBytes = 256;
    private const long MaxBodyBytes = 1024;

    [Theory]
    [InlineData("0\r\n\r\n", "")]
    [InlineData("5\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", "hello world")]
    [InlineData("1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n", "abc")]
    [InlineData("A\r\n0123456789\r\n0\r\n\r\n", "0123456789")]
    [InlineData("a\r\n0123456789\r\n0\r\n\r\n", "0123456789")]
    [InlineData("1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", "abcdefghijklmnopqrstuvwxyz")]
    [InlineData("1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", "abcdefghijklmnopqrstuvwxyz")]
    [InlineData("0005\r\nhello\r\n000\r\n\r\n", "hello")]
    [InlineData("000000000000005\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("00000000000000000000005\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5;name=value\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5;name=\"quoted; value\"\r\nhello\r\n0;last\r\n\r\n", "hello")]
    [InlineData("5;a;b=c;d=\"e\"\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5 ; name = value\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5\t;name\r\nhello\r\n0\r\n\r\n", "hello")]
    // BWS is allowed where an extension follows, on data chunks and the last chunk alike.
    [InlineData("5 ;x\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5;x\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5\t;x=y\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5;a ;b\r\nhello\r\n0 ;last\r\n\r\n", "hello")]
    [InlineData("5;ext=\"caf{e9}\"\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5;ext=\"a\\\"b\\\\c\"\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5\r\nhello\r\n0\r\nX-Trailer: v\r\nChecksum: abc\r\n\r\n", "hello")]
    [InlineData("5\r\nhello\r\n0\r\nX-Empty:\r\n\r\n", "hello")]
    // A trailer is a field line: OWS around its value is allowed, unlike whitespace after a chunk size.
    [InlineData("5\r\nhello\r\n0\r\nX-T: \tv \t\r\n\r\n", "hello")]
    [InlineData("3\r\n\r\n\n\r\n0\r\n\r\n", "\r\n\n")]
    [InlineData("2\r\n{00}{ff}\r\n0\r\n\r\n", "{00}{ff}")]
    public void DecodesValidBodies(string raw, string expectedBody)
    {
        var bytes = Decode(raw);
        var outcome = ReadWhole(new ReadOnlySequence<byte>(bytes));

        Assert.Equal(new ChunkOutcome(ParseStatus.Complete, 0, Latin1(Decode(expectedBody)), bytes.Length), outcome);
    }

    [Fact]
    public void LeavesBytesAfterTheLastChunkUnconsumed()
    {
        var body = "5\r\nhello\r\n0\r\n\r\n";
        var outcome = ReadWhole(new ReadOnlySequence<byte>(Decode(body + "GET / HTTP/1.1\r\n")));

        Assert.Equal(new ChunkOutcome(ParseStatus.Complete, 0, "hello", body.Length), outcome);
    }

    [Theory]
    [InlineData("5\r\nhel", "hel", 6)]
    [InlineData("5\r\nhello", "hello", 8)]
    [InlineData("5\r\nhello\r", "hello", 8)]
    [InlineData("5\r\nhello\r\n", "hello", 10)]
    [InlineData("5\r\nhello\r\n0\r\n", "hello", 13)]
    [InlineData("5\r\nhello\r\n0\r\nX-T: v\r\n", "hello", 21)]
    [InlineData("5;ext=\"unterminated", "", 0)]
    public void IsIncompleteUntilTheTerminatingBlankLine(string raw, string bodySoFar, long consumed)
    {
        var outcome = ReadWhole(new ReadOnlySequence<byte>(Decode(raw)));

        Assert.Equal(new ChunkOutcome(ParseStatus.Incomplete, 0, bodySoFar, consumed), outcome);
    }

    [Theory]
    // Chunk data not followed by CRLF.
    [InlineData("5\r\nhelloX\r\n0\r\n\r\n", 400)]
    [InlineData("5\r\nhello0\r\n\r\n", 400)]
    [InlineData("5\r\nhello\rX0\r\n\r\n", 400)]
    [InlineData("5\r\nhello\n0\r\n\r\n", 400)]
    [InlineData("5\r\nhelloX", 400)]
    [InlineData("3\r\nhello\r\n0\r\n\r\n", 400)]
    // Malformed sizes.
    [InlineData("g\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("0x5\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5x\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData(";ext\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData(" 5\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("-1\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("+5\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5 5\r\nhello\r\n0\r\n\r\n", 400)]
    // Whitespace before the CRLF is BWS with no extension after it: outside the chunk grammar, on a
    // data chunk, on the last chunk, and after an extension name or value.
    [InlineData("5 \r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5\t\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5 \t \r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("0 \r\n\r\n", 400)]
    [InlineData("0\t\r\n\r\n", 400)]
    [InlineData("5\r\nhello\r\n0 \r\n\r\n", 400)]
    [InlineData("5;x \r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;x=y\t\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;x=\"q\" \r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5\r\nhello\r\n0;last \r\n\r\n", 400)]
    // Sizes that do not fit in a signed 64-bit integer are overflow attempts.
    [InlineData("8000000000000000\r\n", 400)]
    [InlineData("10000000000000000\r\n", 400)]
    [InlineData("FFFFFFFFFFFFFFFF\r\n", 400)]
    [InlineData("FFFFFFFFFFFFFFFFFFFFFFFF\r\n", 400)]
    // Bare LF in a size line or in the trailer section.
    [InlineData("5\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;ext\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5\r\nhello\r\n0\n\r\n", 400)]
    [InlineData("5\r\nhello\r\n0\r\n\n", 400)]
    [InlineData("5\r\nhello\r\n0\r\nX-T: v\n\r\n", 400)]
    // Control characters in a chunk extension.
    [InlineData("5;name=val{01}ue\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;name={00}\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;name=\"a\rb\"\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;name=a{7f}\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("0;name={1b}\r\n\r\n", 400)]
    // Extensions outside the chunk-ext grammar (RFC 9112 §7.1.1). obs-text is only allowed inside a
    // quoted-string: an unquoted "caf\xe9" was accepted before the grammar was enforced.
    [InlineData("5;ext=caf{e9}\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;=v\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;a=\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;a b\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;a=b c\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;a=\"open\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", 400)]
    [InlineData("5;a=(b)\r\nhello\r\n0\r\n\r\n", 400)]
    // Malformed trailers.
    [InlineData("0\r\n folded: v\r\n\r\n", 400)]
    [InlineData("0\r\nNoColon\r\n\r\n", 400)]
    [InlineData("0\r\n: v\r\n\r\n", 400)]
    [InlineData("0\r\nX T: v\r\n\r\n", 400)]
    [InlineData("0\r\nX-T: a{00}b\r\n\r\n", 400)]
    [InlineData("0\r\nX-T: a\rb\r\n\r\n", 400)]
    // Over the body limit (1024 here), before the data arrives.
    [InlineData("401\r\n", 413)]
    [InlineData("10000\r\n", 413)]
    [InlineData("FFFFFFFFFFFFFFF\r\n", 413)]
    [InlineData("1000000000000000\r\n", 413)]
    [InlineData("7FFFFFFFFFFFFFFF\r\n", 413)]
    public void Rejects(string raw, int expectedStatus)
    {
        var outcome = ReadWhole(new ReadOnlySequence<byte>(Decode(raw)));

        Assert.Equal(ParseStatus.Error, outcome.Status);
        Assert.Equal(expectedStatus, outcome.ErrorStatus);
    }

    [Fact]
    public void AcceptsABodyExactlyAtTheLimitAndRefusesOneByteMore()
    {
        var half = new string('x', (int)MaxBodyBytes / 2);
        var atLimit = $"200\r\n{half}\r\n200\r\n{half}\r\n0\r\n\r\n";
        var atLimitOutcome = ReadWhole(new ReadOnlySequence<byte>(Decode(atLimit)));
        Assert.Equal(ParseStatus.Complete, atLimitOutcome.Status);
        Assert.Equal(MaxBodyBytes, atLimitOutcome.Body.Length);

        // The second size line alone already pushes the total over: refused before its data arrives.
        var overLimit = $"200\r\n{half}\r\n201\r\n";
        var overOutcome = ReadWhole(new ReadOnlySequence<byte>(Decode(overLimit)));
        Assert.Equal(ParseStatus.Error, overOutcome.Status);
        Assert.Equal(413, overOutcome.ErrorStatus);
    }

    [Fact]
    public void LimitsTheTrailerSection()
    {
        // The trailer budget covers the trailer lines and the final CRLF, like the header budget.
        var filler = new string('t', MaxTrailerBytes - "X-T: ".Length - 2 - 2);
        var atLimit = $"0\r\nX-T: {filler}\r\n\r\n";
        Assert.Equal(ParseStatus.Complete, ReadWhole(new ReadOnlySequence<byte>(Decode(atLimit))).Status);

        var overLimit = $"0\r\nX-T: {filler}t\r\n\r\n";
        var over = ReadWhole(new ReadOnlySequence<byte>(Decode(overLimit)));
        Assert.Equal(ParseStatus.Error, over.Status);
        Assert.Equal(431, over.ErrorStatus);

        // Fails as soon as the budget is exceeded, without waiting for the end of the trailers.
        var unterminated = "0\r\nX-T: " + new string('t', MaxTrailerBytes);
        var early = ReadWhole(new ReadOnlySequence<byte>(Decode(unterminated)));
        Assert.Equal(ParseStatus.Error, early.Status);
        Assert.Equal(431, early.ErrorStatus);

        var many = "0\r\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"X-{i:D2}: v\r\n"));
        var manyOutcome = ReadWhole(new ReadOnlySequence<byte>(Decode(many)));
        Assert.Equal(ParseStatus.Error, manyOutcome.Status);
        Assert.Equal(431, manyOutcome.ErrorStatus);
    }

    [Fact]
    public void RefusesAnOverlongSizeLine()
    {
        var outcome = ReadWhole(new ReadOnlySequence<byte>(Decode("5;" + new string('e', 5000))));

        Assert.Equal(ParseStatus.Error, outcome.Status);
        Assert.Equal(400, outcome.ErrorStatus);
    }

    [Fact]
    public void ResetMakesTheReaderReusable()
    {
        var reader = new ChunkedBodyReader(MaxTrailerBytes, MaxBodyBytes);
        var body = new RequestBody();
        try
        {
            foreach (var raw in new[] { "3\r\nabc\r\n0\r\n\r\n", "2\r\nde\r\n0\r\nX: y\r\n\r\n" })
            {
                reader.Reset();
                body.Reset();
                var sequenceReader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Decode(raw)));
                Assert.Equal(ParseStatus.Complete, reader.Read(ref sequenceReader, body));
            }
            Assert.Equal("de", Latin1(body.Memory.Span));
        }
        finally
        {
            body.Dispose();
        }
    }

    // ---------------------------------------------------------------- incremental decoding

    public static TheoryData<string> SplitCases =>
    [
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "0005;name=\"quoted value\"\r\nhello\r\nA;x=y\r\n0123456789\r\n0;z\r\nX-Trailer: one\r\nY: two\r\n\r\nGET",
        "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n",
        "5\r\nhello\r\n0\r\n",
        "5\r\nhelloX\r\n0\r\n\r\n",
        "5\r\nhello\n0\r\n\r\n",
        "5\nhello\r\n0\r\n\r\n",
        "1000000000000000\r\n",
        "401\r\n" + new string('x', 20),
        "5;a=b{01}\r\nhello\r\n0\r\n\r\n",
        "0\r\nX-T: " + new string('t', 300) + "\r\n\r\n",
        "0\r\n folded\r\n\r\n",
        "5 \r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n0\t\r\n\r\n",
        "5 ;x\r\nhello\r\n0\r\n\r\n",
    ];

    [Theory]
    [MemberData(nameof(SplitCases))]
    public void GivesTheSameResultSplitInTwoAtEveryByte(string raw)
    {
        var bytes = Decode(raw);
        var whole = ReadWhole(new ReadOnlySequence<byte>(bytes));

        foreach (var (split, sequence) in EveryTwoWaySplit(bytes))
        {
            var outcome = ReadWhole(sequence);
            Assert.True(whole == outcome, $"split at {split}: {outcome} != {whole}");
        }
    }

    [Theory]
    [MemberData(nameof(SplitCases))]
    public void GivesTheSameResultFedOneByteAtATime(string raw)
    {
        var bytes = Decode(raw);
        var whole = ReadWhole(new ReadOnlySequence<byte>(bytes));

        Assert.Equal(whole, ReadByteByByte(bytes));
    }

    // ---------------------------------------------------------------- helpers

    private static ChunkOutcome ReadWhole(ReadOnlySequence<byte> sequence)
    {
        var reader = new ChunkedBodyReader(MaxTrailerBytes, MaxBodyBytes);
        reader.Reset();
        var body = new RequestBody();
        try
        {
            var sequenceReader = new SequenceReader<byte>(sequence);
            var status = reader.Read(ref sequenceReader, body);
            return ChunkOutcome.From(status, reader, body, sequenceReader.Consumed);
        }
        finally
        {
            body.Dispose();
        }
    }

    /// <summary>Feeds one byte at a time, keeping what was not consumed in front of the next byte.</summary>
    private static ChunkOutcome ReadByteByByte(byte[] bytes)
    {
        var reader = new ChunkedBodyReader(MaxTrailerBytes, MaxBodyBytes);
        reader.Reset();
        var body = new RequestBody();
        try
        {
            byte[] pending = [];
            long consumed = 0;
            for (var i = 0; i < bytes.Length; i++)
            {
                var sequence = Segments(pending, [bytes[i]]);
                var sequenceReader = new SequenceReader<byte>(sequence);
                var status = reader.Read(ref sequenceReader, body);
                consumed += sequenceReader.Consumed;
                if (status != ParseStatus.Incomplete)
                {
                    return ChunkOutcome.From(status, reader, body, consumed);
                }
                pending = sequence.Slice(sequenceReader.Position).ToArray();
            }
            return ChunkOutcome.From(ParseStatus.Incomplete, reader, body, consumed);
        }
        finally
        {
            body.Dispose();
        }
    }

    private sealed record ChunkOutcome(ParseStatus Status, int ErrorStatus, string Body, long Consumed)
    {
        public static ChunkOutcome From(ParseStatus status, ChunkedBodyReader reader, RequestBody body, long consumed) =>
            status == ParseStatus.Error
                ? new(status, reader.Error.Status, "", 0) // what was decoded before a refusal is thrown away
                : new(status, 0, Latin1(body.Memory.Span), consumed);
    }
}
