namespace QwenFastProxy.Http;

/// <summary>Receives every completed exchange (and every refused request) for logging and metrics.</summary>
internal interface IAccessLog
{
    /// <summary>Called once per request after its response was written (or abandoned).</summary>
    void RequestCompleted(RequestContext context);
}
