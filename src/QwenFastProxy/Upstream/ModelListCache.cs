using System.Text.Json;
using QwenFastProxy.Auth;

namespace QwenFastProxy.Upstream;

/// <summary>
/// The upstream's own <c>GET /models</c> list, for <c>GET /v1/models</c> in API-key mode: each plan serves its own
/// models, so the upstream knows best. Fetched when first asked for and kept an hour; while a refresh is under way,
/// or after one failed, the last good list is served; with none, the caller falls back to the local list. A failed
/// fetch is not repeated for a minute, so a plan without a list costs one upstream call a minute at most.
/// </summary>
internal sealed class ModelListCache
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);

    // Lists beyond this are not a model list.
    private const int MaxListBytes = 1024 * 1024;

    private readonly HttpMessageInvoker _client;
    private readonly IUpstreamCredentials _credentials;
    private readonly Uri _modelsUri;
    private readonly string _userAgent;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private byte[]? _list;
    private DateTimeOffset _nextFetch = DateTimeOffset.MinValue;
    private Task? _fetch;

    public ModelListCache(HttpMessageInvoker client, IUpstreamCredentials credentials, string baseUrl, string userAgent, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        _client = client;
        _credentials = credentials;
        _modelsUri = new Uri(baseUrl.TrimEnd('/') + "/models");
        _userAgent = userAgent;
        _time = time;
    }

    /// <summary>The upstream's list (an OpenAI list object), or null when it has none to give.</summary>
    public async ValueTask<byte[]?> GetAsync(CancellationToken cancellationToken)
    {
        Task? fetch;
        byte[]? list;
        lock (_gate)
        {
            list = _list;
            if (_time.GetUtcNow() >= _nextFetch && _fetch is null)
            {
                _fetch = FetchAsync();
            }
            fetch = _fetch;
        }
        if (list is null && fetch is not null)
        {
            // Nothing to serve yet: this request waits for the first fetch (bounded by its timeout).
            await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                list = _list;
            }
        }
        return list;
    }

    private async Task FetchAsync()
    {
        await Task.Yield(); // the lock's holder returns first
        byte[]? fetched = null;
        try
        {
            using var timeout = new CancellationTokenSource(FetchTimeout, _time);
            var credential = await _credentials.GetAsync(timeout.Token).ConfigureAwait(false);
            if (credential.Problem is null)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, credential.BaseUrl is { } own ? new Uri(own.TrimEnd('/') + "/models") : _modelsUri);
                UpstreamHeaders.AddIdentity(request, credential.Authorization, _credentials.AuthType, _userAgent);
                using var response = await _client.SendAsync(request, timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode && response.Content.Headers.ContentLength is null or <= MaxListBytes)
                {
                    var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
                    fetched = IsModelList(body) ? body : null;
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            // No list this time: the last good one (or the local one) serves.
        }
        lock (_gate)
        {
            if (fetched is not null)
            {
                _list = fetched;
            }
            _nextFetch = _time.GetUtcNow() + (fetched is not null ? Lifetime : RetryAfterFailure);
            _fetch = null;
        }
    }

    // An OpenAI list: an object whose "data" is an array.
    private static bool IsModelList(byte[] body)
    {
        if (body.Length > MaxListBytes)
        {
            return false;
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("data"u8, out var data)
                && data.ValueKind == JsonValueKind.Array;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
