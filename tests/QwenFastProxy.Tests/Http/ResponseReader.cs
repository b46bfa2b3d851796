using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Text;
using static QwenFastProxy.Tests.Http.ConnectionHarness;
using static QwenFastProxy.Tests.Http.HttpTestBytes;

namespace QwenFastProxy.Tests.Http;

/// <summary>One response as the client received it; the body is decoded from its framing.</summary>
internal sealed record RawResponse(int Status, string StatusLine, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    public string? Header(string name)
    {
        var matches = Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(matches.Count <= 1, $"header {name} sent {matches.Count} times");
        return matches.Count == 0 ? null : matches[0].Value;
    }
}

/// <summary>Parses HTTP/1.1 responses out of the connection's output, every read bounded.</summary>
internal sealed class ResponseReader(PipeReader reader)
{
    private const int MaxReads = 10_000;
    private readonly List<byte> _data = [];
    private int _position;
    private bool _completed;

    public async Task<RawResponse> ReadResponseAsync()
    {
        var statusLine = await ReadLineAsync();
        Assert.StartsWith("HTTP/1.1 ", statusLine, StringComparison.Ordinal);
        var status = int.Parse(statusLine.AsSpan(9, 3), CultureInfo.InvariantCulture);

        var headers = new List<KeyValuePair<string, string>>();
        for (var line = await ReadLineAsync(); line.Length > 0; line = await ReadLineAsync())
        {
            Assert.True(headers.Count < 100, "too many response headers");
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            Assert.True(colon > 0, $"malformed response header line: {line}");
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        string body;
        var transferEncoding = headers.FirstOrDefault(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)).Value;
        var contentLength = headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
        if (status < 200 || status is 204 or 304)
        {
            body = "";
        }
        else if (string.Equals(transferEncoding, "chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = await ReadChunkedAsync();
        }
        else if (contentLength is not null)
        {
            body = Encoding.UTF8.GetString(await ReadBytesAsync(int.Parse(contentLength, CultureInfo.InvariantCulture)));
        }
        else
        {
            while (await FillAsync())
            {
            }
            body = Encoding.UTF8.GetString(Take(_data.Count - _position));
        }
        return new RawResponse(status, statusLine, headers, body);
    }

    /// <summary>Waits for the connection to complete its output, and checks nothing else was sent.</summary>
    public async Task AssertClosedAsync()
    {
        for (var i = 0; i < MaxReads && await FillAsync(); i++)
        {
        }
        Assert.True(_completed, "the connection did not close its output");
        Assert.True(_data.Count == _position, $"unexpected bytes after the last response: {Latin1(Take(_data.Count - _position))}");
    }

    private async Task<string> ReadChunkedAsync()
    {
        var body = new List<byte>();
        for (var chunks = 0; chunks < MaxReads; chunks++)
        {
            var sizeLine = await ReadLineAsync();
            var size = int.Parse(sizeLine.Split(';')[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                for (var trailer = await ReadLineAsync(); trailer.Length > 0; trailer = await ReadLineAsync())
                {
                }
                return Encoding.UTF8.GetString([.. body]);
            }
            body.AddRange(await ReadBytesAsync(size));
            Assert.Equal("", await ReadLineAsync());
        }
        throw new InvalidOperationException("too many chunks");
    }

    private async Task<string> ReadLineAsync()
    {
        for (var i = 0; i < MaxReads; i++)
        {
            var end = CollectionsMarshal.AsSpan(_data)[_position..].IndexOf("\r\n"u8);
            if (end >= 0)
            {
                var line = Latin1(Take(end));
                _position += 2;
                return line;
            }
            if (!await FillAsync())
            {
                throw new InvalidOperationException($"the connection closed its output in the middle of a line: {Latin1(Take(_data.Count - _position))}");
            }
        }
        throw new InvalidOperationException("no line after many reads");
    }

    private async Task<byte[]> ReadBytesAsync(int count)
    {
        for (var i = 0; i < MaxReads && _data.Count - _position < count; i++)
        {
            if (!await FillAsync())
            {
                throw new InvalidOperationException($"the connection closed its output {count - (_data.Count - _position)} bytes short of a body");
            }
        }
        return Take(count);
    }

    private byte[] Take(int count)
    {
        var bytes = CollectionsMarshal.AsSpan(_data).Slice(_position, count).ToArray();
        _position += count;
        return bytes;
    }

    /// <summary>One read from the output; false once it is complete and nothing more arrived.</summary>
    private async Task<bool> FillAsync()
    {
        if (_completed)
        {
            return false;
        }
        var result = await reader.ReadAsync().AsTask().WaitAsync(Bound);
        var received = result.Buffer.Length;
        foreach (var segment in result.Buffer)
        {
            _data.AddRange(segment.Span);
        }
        reader.AdvanceTo(result.Buffer.End);
        _completed = result.IsCompleted;
        return received > 0 || !_completed;
    }
}
