using System.Diagnostics;
using System.Net;

namespace QwenFastProxy.Http;

/// <summary>
/// One request/response exchange on a connection: what the router and handlers work with, and what the
/// access log reads afterwards. Owned by the connection and reset for each request.
/// </summary>
public sealed class RequestContext
{
    internal RequestContext(HttpRequest request, ResponseOutput response)
    {
        Request = request;
        Response = response;
    }

    /// <summary>The parsed request, body included.</summary>
    public HttpRequest Request { get; }

    /// <summary>Where the response is written.</summary>
    public ResponseOutput Response { get; }

    /// <summary>Fires when the client disconnects or the server aborts the connection.</summary>
    public CancellationToken Aborted { get; internal set; }

    /// <summary>The peer address of the connection.</summary>
    public IPEndPoint? RemoteEndPoint { get; internal set; }

    /// <summary>Stopwatch timestamp when the request head was complete.</summary>
    public long StartTimestamp { get; internal set; }

    /// <summary>The model the request asked for (after any rewrite), for the access log.</summary>
    public string? Model { get; set; }

    /// <summary>True when the client asked for a streamed answer.</summary>
    public bool Streaming { get; set; }

    /// <summary>The upstream's status, or 0 when the proxy answered itself.</summary>
    public int UpstreamStatus { get; set; }

    /// <summary>Stream chunks whose repeated text the stutter repair removed.</summary>
    public int StutterChunksRepaired { get; set; }

    /// <summary>Bytes of repeated text the stutter repair kept from the client.</summary>
    public long StutterBytesRemoved { get; set; }

    internal void Reset(CancellationToken aborted)
    {
        Aborted = aborted;
        StartTimestamp = Stopwatch.GetTimestamp();
        Model = null;
        Streaming = false;
        UpstreamStatus = 0;
        StutterChunksRepaired = 0;
        StutterBytesRemoved = 0;
    }
}
