using System.Net;
using System.Net.Http.Headers;

namespace QwenFastProxy.Auth;

/// <summary>
/// One form POST to the OAuth server (<c>application/x-www-form-urlencoded</c>, <c>Accept: application/json</c>)
/// with a bounded time and a bounded answer; the answer comes back as status plus top-level JSON fields.
/// </summary>
internal static class OAuthHttp
{
    /// <summary>OAuth answers are a few hundred bytes; more is not read.</summary>
    private const int MaxAnswerBytes = 64 * 1024;

    /// <summary>Longest wait for one OAuth exchange: long enough for a slow server, short enough for the 10 s lock budget's next holder.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");

    /// <summary>The status and parsed body (null when it was not a JSON object) of one exchange.</summary>
    public readonly record struct Answer(HttpStatusCode Status, OAuthJsonObject? Body)
    {
        /// <summary>The OAuth <c>error</c> code, if any.</summary>
        public string? Error => Body?.String("error");

        /// <summary><c>error: description</c> (or whichever of them is present), or the HTTP status.</summary>
        public string Describe()
        {
            string? error = Error;
            string? description = Body?.String("error_description") ?? Body?.String("message");
            string status = $"HTTP {(int)Status}";
            return (error, description) switch
            {
                (not null, not null) => $"{error}: {description} ({status})",
                (not null, null) => $"{error} ({status})",
                (null, not null) => $"{description} ({status})",
                _ => status,
            };
        }
    }

    /// <summary>
    /// Posts <paramref name="fields"/> to <paramref name="uri"/>. Throws <see cref="OAuthException"/> when the
    /// server cannot be reached or does not answer in time; <see cref="OperationCanceledException"/> only when
    /// <paramref name="cancellationToken"/> fired.
    /// </summary>
    public static async Task<Answer> PostFormAsync(
        HttpMessageInvoker http, Uri uri, IEnumerable<KeyValuePair<string, string>> fields, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Version = HttpVersion.Version11 };
        request.Content = new FormUrlEncodedContent(fields);
        request.Headers.Accept.Add(AcceptJson);
        request.Headers.TryAddWithoutValidation("User-Agent", QwenClientIdentity.UserAgent);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(request, deadline.Token).ConfigureAwait(false);
            byte[] body = await ReadLimitedAsync(response.Content, deadline.Token).ConfigureAwait(false);
            return new Answer(response.StatusCode, OAuthJsonObject.TryParse(body));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OAuthException($"the Qwen OAuth server at {uri.GetLeftPart(UriPartial.Authority)} did not answer within {timeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new OAuthException($"cannot reach the Qwen OAuth server at {uri.GetLeftPart(UriPartial.Authority)}: {ex.Message}", ex);
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxAnswerBytes)
        {
            return [];
        }

        using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxAnswerBytes)
            {
                return [];
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary><c>{base}{path}</c> as a URI; the base is an absolute http(s) URL without a trailing slash.</summary>
    public static Uri Endpoint(string oauthBaseUrl, string path) => new(oauthBaseUrl.TrimEnd('/') + path, UriKind.Absolute);
}
