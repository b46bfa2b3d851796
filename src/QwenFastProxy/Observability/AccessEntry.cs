namespace QwenFastProxy.Observability;

/// <summary>The fields of one access-log line, in the order the line shows them.</summary>
internal readonly record struct AccessEntry(
    string ClientIp,
    string Method,
    string Path,
    int Status,
    int UpstreamStatus,
    string Model,
    bool Streaming,
    long RequestBytes,
    long ResponseBytes,
    double TtfbMs,
    double DurationMs,
    int RepairedChunks,
    long RemovedBytes,
    string Error,
    string UserAgent);
