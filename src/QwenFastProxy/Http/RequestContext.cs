using System.Buffers;
using System.Diagnostics;
using System.Net;
using QwenFastProxy.Buffers;

namespace QwenFastProxy.Http;

/// <summary>
/// One request/response exchange on a connection: what the router and handlers work with, and what the
/// access log reads afterwards. Owned by the connection and reset for each request.
/// </summary>
internal sealed class RequestContext
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

    /// <summary>The endpoint this request is for, decided from its path on first use and kept.</summary>
    public RequestRoute Route => _route ??= RequestRoutes.Of(Request.Path);

    /// <summary>What the access log records of a forwarded request; untouched for requests the proxy answers itself.</summary>
    internal UpstreamRecord Upstream;

    /// <summary>
    /// Who the client is for the usage ledger: the label of the PROXY_API_KEYS key it presented, or the open proxy's
    /// label; null until the key gate let it in.
    /// </summary>
    internal string? ClientKey;

    /// <summary>The end of a non-streamed answer's body, where its usage is read; made on first use, kept for the connection.</summary>
    internal BodyEnds ResponseEnds => _responseEnds ??= new BodyEnds();

    // The access log's strings, decoded once per connection while they stay the same (fields: mutable structs).
    internal RememberedString LoggedPath;
    internal RememberedString LoggedUserAgent;
    internal RememberedString LoggedClientIp;

    /// <summary>
    /// The upstream message of the connection's last model request, kept for its next one (Upstream/UpstreamForwarder);
    /// null while an exchange has it out. Exchanges on a connection never overlap, so it is never shared.
    /// </summary>
    internal HttpRequestMessage? SpareUpstreamMessage;

    /// <summary>The whole exchange's deadline (linked to <see cref="Aborted"/>), reused across the connection's requests.</summary>
    internal ReusableTimeout ExchangeTimeout { get; } = new();

    /// <summary>The deadline of one upstream body read (following the exchange's for the length of a relay), reused likewise.</summary>
    internal ReusableTimeout ReadTimeout { get; } = new();

    private RequestRoute? _route;
    private BodyEnds? _responseEnds;
    private byte[]? _rentedBody;

    /// <summary>
    /// Takes charge of the body sent upstream in place of the client's (a model rewrite, a translation), rented from
    /// the shared pool: it goes back with <see cref="ReleaseSentBodies"/>, or when the exchange ends.
    /// </summary>
    /// <returns>The first <paramref name="length"/> bytes of <paramref name="rented"/>.</returns>
    internal ReadOnlyMemory<byte> AdoptRentedBody(byte[] rented, int length)
    {
        ReturnRentedBody();
        _rentedBody = rented;
        return rented.AsMemory(0, length);
    }

    /// <summary>Returns the adopted body to the pool, if it is still held (the connection calls it when the exchange ends).</summary>
    internal void ReturnRentedBody()
    {
        if (_rentedBody is { } rented)
        {
            _rentedBody = null;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Frees the client's body and any body sent in its place once the upstream has them for good (its answer's head
    /// is in and nothing will be retried): a stream can last minutes, and a coding agent's request carries its whole
    /// conversation. Only the body's length stays known, for the access log.
    /// </summary>
    internal void ReleaseSentBodies()
    {
        Request.Content.Release();
        ReturnRentedBody();
    }

    internal void Reset(CancellationToken aborted)
    {
        Aborted = aborted;
        StartTimestamp = Stopwatch.GetTimestamp();
        _route = null;
        Upstream = default;
        ClientKey = null;
    }

    /// <summary>Frees what the connection kept between requests, when it closes.</summary>
    internal void Release()
    {
        ReturnRentedBody();
        SpareUpstreamMessage?.Dispose();
        SpareUpstreamMessage = null;
        ReadTimeout.Dispose();
        ExchangeTimeout.Dispose();
    }
}

/// <summary>The upstream side of a forwarded request, as the access log reports it.</summary>
internal struct UpstreamRecord
{
    /// <summary>The model the request asked for (after any rewrite).</summary>
    public string? Model;

    /// <summary>True when the client asked for a streamed answer.</summary>
    public bool Streaming;

    /// <summary>The upstream's status, or 0 when no upstream answer was relayed.</summary>
    public int Status;

    /// <summary>The proxy added <c>stream_options.include_usage</c>: the usage chunk is not the client's.</summary>
    public bool StripUsage;

    /// <summary>Stream chunks whose repeated text the stutter repair removed.</summary>
    public int ChunksRepaired;

    /// <summary>Bytes of repeated text the stutter repair kept from the client.</summary>
    public long BytesRemoved;

    /// <summary>The token counts the upstream reported, when the relay could read them.</summary>
    public TokenUsage? Usage;

    /// <summary>
    /// A Messages API request sent upstream as a chat completion: the answer is translated back, named after
    /// <see cref="ClientModel"/>, and its stream opens with <see cref="InputTokensEstimate"/>.
    /// </summary>
    public bool TranslateToMessages;

    /// <summary>The model the client asked for, which a translated answer names.</summary>
    public string? ClientModel;

    /// <summary>The proxy's estimate of the request's input tokens (until the upstream's count arrives).</summary>
    public int InputTokensEstimate;
}
