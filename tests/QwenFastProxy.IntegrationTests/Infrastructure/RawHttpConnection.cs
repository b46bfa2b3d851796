using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Pipelines.Sockets.Unofficial;

namespace QwenFastProxy.IntegrationTests.Infrastructure;

/// <summary>
/// A raw TCP client for bytes no well-behaved HTTP client would send: writes exactly what it is given
/// and parses responses itself (status, headers, Content-Length or chunked bodies, 1xx interim answers).
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private static readonly TimeSpan ReadBound = TimeSpan.FromSeconds(15);
    private readonly SocketConnection _connection;
    private readonly PipeReader _input;

    private RawHttpConnection(SocketConnection connection)
    {
        _connection = connection;
        _input = connection.Input;
    }

    public static async Task<RawHttpConnection> ConnectAsync(IPEndPoint endPoint) =>
        new(await SocketConnection.ConnectAsync(endPoint));

    public async Task SendAsync(string ascii) => await SendAsync(Encoding.Latin1.GetBytes(ascii));

    public async Task SendAsync(byte[] bytes)
    {
        await _connection.Output.WriteAsync(bytes);
    }

    /// <summary>Reads one response (an interim 1xx response counts as one).</summary>
    public async Task<RawResponse> ReadResponseAsync()
    {
        using var timeout = new CancellationTokenSource(ReadBound);
        var head = await ReadHeadAsync(timeout.Token) ?? throw new IOException("Connection closed before a response arrived.");
        var response = RawResponse.ParseHead(head);
        if (response.Status is >= 100 and < 200 || response.Status is 204 or 304)
        {
            return response;
        }
        if (response.Header("Transfer-Encoding")?.Equals("chunked", StringComparison.OrdinalIgnoreCase) == true)
        {
            response.Body = await ReadChunkedAsync(timeout.Token);
        }
        else if (response.Header("Content-Length") is { } length)
        {
            response.Body = await ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
        }
        else
        {
            response.Body = await ReadToEndAsync(timeout.Token);
        }
        return response;
    }

    /// <summary>Reads the head and the first body bytes available of a streamed response, without waiting for the end.</summary>
    public async Task<(RawResponse Head, string FirstBytes)> ReadHeadAndSomeBodyAsync()
    {
        using var timeout = new CancellationTokenSource(ReadBound);
        var head = await ReadHeadAsync(timeout.Token) ?? throw new IOException("Connection closed before a response arrived.");
        var result = await _input.ReadAsync(timeout.Token);
        var text = Encoding.UTF8.GetString(result.Buffer);
        _input.AdvanceTo(result.Buffer.End);
        return (RawResponse.ParseHead(head), text);
    }

    /// <summary>Reads raw bytes (head included) until <paramref name="marker"/> has arrived; bounded in time.</summary>
    public async Task<string> ReadBodyUntilAsync(string marker)
    {
        using var timeout = new CancellationTokenSource(ReadBound);
        var text = new StringBuilder();
        for (var i = 0; i < 10_000; i++)
        {
            var result = await _input.ReadAsync(timeout.Token);
            text.Append(Encoding.UTF8.GetString(result.Buffer));
            _input.AdvanceTo(result.Buffer.End);
            if (text.ToString().Contains(marker, StringComparison.Ordinal) || result.IsCompleted)
            {
                break;
            }
        }
        return text.ToString();
    }

    /// <summary>True when the server closes the connection (reads reach the end) within the bound.</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        using var timeout = new CancellationTokenSource(ReadBound);
        try
        {
            for (var i = 0; i < 10_000; i++)
            {
                var result = await _input.ReadAsync(timeout.Token);
                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return true;
                }
            }
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // reset counts as closed
        }
        catch (System.Net.Sockets.SocketException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync();
        await _connection.Output.CompleteAsync();
        _connection.Dispose();
    }

    private async Task<string?> ReadHeadAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < 10_000; i++)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> head, "\r\n\r\n"u8))
            {
                var text = Encoding.Latin1.GetString(head);
                _input.AdvanceTo(reader.Position);
                return text;
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
        throw new IOException("Response head never completed.");
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var body = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var take = (int)Math.Min(count - filled, result.Buffer.Length);
            result.Buffer.Slice(0, take).CopyTo(body.AsSpan(filled));
            filled += take;
            _input.AdvanceTo(result.Buffer.GetPosition(take));
            if (filled < count && result.IsCompleted)
            {
                throw new IOException($"Body ended after {filled} of {count} bytes.");
            }
        }
        return body;
    }

    private async Task<byte[]> ReadToEndAsync(CancellationToken cancellationToken)
    {
        var body = new List<byte>();
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken);
            body.AddRange(result.Buffer.ToArray());
            _input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return body.ToArray();
            }
        }
    }

    private async Task<byte[]> ReadChunkedAsync(CancellationToken cancellationToken)
    {
        var body = new List<byte>();
        for (var i = 0; i < 100_000; i++)
        {
            var sizeLine = await ReadLineAsync(cancellationToken);
            var size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                while ((await ReadLineAsync(cancellationToken)).Length > 0)
                {
                }
                return body.ToArray();
            }
            body.AddRange(await ReadExactlyAsync(size, cancellationToken));
            if ((await ReadLineAsync(cancellationToken)).Length != 0)
            {
                throw new IOException("Chunk not followed by CRLF.");
            }
        }
        throw new IOException("Too many chunks.");
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken);
            var reader = new SequenceReader<byte>(result.Buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
            {
                var text = Encoding.Latin1.GetString(line);
                _input.AdvanceTo(reader.Position);
                return text;
            }
            _input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (result.IsCompleted)
            {
                throw new IOException("Connection closed in the middle of a chunked body.");
            }
        }
    }
}

/// <summary>A parsed response.</summary>
public sealed class RawResponse
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    public int Status { get; private init; }

    public byte[] Body { get; set; } = [];

    public string BodyText => Encoding.UTF8.GetString(Body);

    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    public string? Header(string name) =>
        _headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public bool ClosesConnection => Header("Connection")?.Contains("close", StringComparison.OrdinalIgnoreCase) == true;

    internal static RawResponse ParseHead(string head)
    {
        var lines = head.Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        var response = new RawResponse { Status = int.Parse(statusParts[1], System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            response._headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }
        return response;
    }
}
