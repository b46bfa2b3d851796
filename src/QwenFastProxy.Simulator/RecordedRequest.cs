namespace QwenFastProxy.Simulator;

/// <summary>One request as the simulator received it, recorded before the response is written.</summary>
public sealed class RecordedRequest
{
    private readonly TaskCompletionSource<bool> _completed =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal RecordedRequest(string method, string path, string queryString,
        IReadOnlyDictionary<string, string> headers, byte[] body)
    {
        Method = method;
        Path = path;
        QueryString = queryString;
        Headers = headers;
        Body = body;
    }

    /// <summary>HTTP method, e.g. <c>POST</c>.</summary>
    public string Method { get; }

    /// <summary>Decoded request path, e.g. <c>/v1/chat/completions</c>.</summary>
    public string Path { get; }

    /// <summary>Query string including the leading <c>?</c>, or empty.</summary>
    public string QueryString { get; }

    /// <summary>Request headers; keys are case-insensitive and repeated values are joined with <c>", "</c>.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The raw request body (empty when there was none).</summary>
#pragma warning disable CA1819 // Tests want the exact bytes; the array is never reused by the simulator.
    public byte[] Body { get; }
#pragma warning restore CA1819

    /// <summary>
    /// Resolves to <see langword="true"/> when the response finished normally and to <see langword="false"/>
    /// when the client aborted (or the server stopped) before the response was finished.
    /// </summary>
    public Task<bool> Completed => _completed.Task;

    internal void Complete(bool normally) => _completed.TrySetResult(normally);
}
