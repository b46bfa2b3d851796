using QwenFastProxy.Http;

namespace QwenFastProxy.Observability;

/// <summary>The route a request is counted under (a small fixed set, so counters are an array, not tag lists).</summary>
public enum MetricRoute
{
    /// <summary><c>/v1/chat/completions</c>.</summary>
    Chat = 0,

    /// <summary><c>/v1/models</c>.</summary>
    Models = 1,

    /// <summary>Other <c>/v1/...</c> paths, forwarded as they are.</summary>
    Passthrough = 2,

    /// <summary><c>/healthz</c> and <c>/readyz</c>.</summary>
    Health = 3,

    /// <summary>Everything else: the status page, <c>/metrics</c>, unknown paths, unparsable requests.</summary>
    Other = 4,
}

/// <summary>The class of a response status.</summary>
public enum StatusClass
{
    /// <summary>200–299.</summary>
    Success = 0,

    /// <summary>300–399 (and 1xx, which never ends an exchange here).</summary>
    Redirect = 1,

    /// <summary>400–499.</summary>
    ClientError = 2,

    /// <summary>500–599.</summary>
    ServerError = 3,

    /// <summary>No response was written (the client left first).</summary>
    None = 4,
}

/// <summary>Maps requests to <see cref="MetricRoute"/> and statuses to <see cref="StatusClass"/>, without allocating.</summary>
internal static class MetricClassifier
{
    /// <summary>Number of <see cref="MetricRoute"/> values.</summary>
    public const int RouteCount = 5;

    /// <summary>Number of <see cref="StatusClass"/> values.</summary>
    public const int StatusClassCount = 5;

    /// <summary>The metric route of a request's route: health and readiness count together, local pages as other.</summary>
    public static MetricRoute Route(RequestRoute route) => route switch
    {
        RequestRoute.Chat or RequestRoute.Messages => MetricRoute.Chat,
        RequestRoute.Models => MetricRoute.Models,
        RequestRoute.Passthrough => MetricRoute.Passthrough,
        RequestRoute.Health or RequestRoute.Ready => MetricRoute.Health,
        _ => MetricRoute.Other,
    };

    /// <summary>The class of <paramref name="status"/>; 0 means no response.</summary>
    public static StatusClass Class(int status) => status switch
    {
        >= 200 and < 300 => StatusClass.Success,
        >= 400 and < 500 => StatusClass.ClientError,
        >= 500 and < 600 => StatusClass.ServerError,
        > 0 and < 200 or >= 300 and < 400 => StatusClass.Redirect,
        _ => StatusClass.None,
    };

    /// <summary>The label value of a route.</summary>
    public static string Name(MetricRoute route) => route switch
    {
        MetricRoute.Chat => "chat",
        MetricRoute.Models => "models",
        MetricRoute.Passthrough => "passthrough",
        MetricRoute.Health => "health",
        _ => "other",
    };

    /// <summary>The label value of a status class.</summary>
    public static string Name(StatusClass statusClass) => statusClass switch
    {
        StatusClass.Success => "2xx",
        StatusClass.Redirect => "3xx",
        StatusClass.ClientError => "4xx",
        StatusClass.ServerError => "5xx",
        _ => "none",
    };
}
