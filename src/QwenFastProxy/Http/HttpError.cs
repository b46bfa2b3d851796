namespace QwenFastProxy.Http;

/// <summary>
/// A request the proxy refuses: the status to answer with and the message of the OpenAI-shaped error
/// body. Messages are constants so that rejecting a request allocates nothing.
/// </summary>
public readonly record struct HttpError(int Status, string Message, string Code = "invalid_request")
{
    /// <summary>The OpenAI error <c>type</c> that goes with the status.</summary>
    public string Type => Status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };
}
