namespace QwenFastProxy.Simulator;

/// <summary>
/// Faults the simulator can inject into a chat completion, chosen per request with the <c>X-Sim-Fault</c> header
/// (see <see cref="FaultHeaders"/>) or at a seeded rate with <see cref="SimulatorOptions.Faults"/>.
/// </summary>
public enum SimulatedFault
{
    /// <summary>No fault: answer normally.</summary>
    None = 0,

    /// <summary>500 with Qwen's <c>internal_error</c> JSON body. Header name <c>500</c>.</summary>
    InternalServerError,

    /// <summary>502 with an HTML body, as a gateway in front of the service sends it. Header name <c>502</c>.</summary>
    BadGateway,

    /// <summary>503 with a JSON body (<c>overloaded_error</c> on the Anthropic route). Header name <c>503</c>.</summary>
    ServiceUnavailable,

    /// <summary>429 <c>rate_limit_exceeded</c> with <c>Retry-After</c> in seconds (default 1). Header name <c>429</c> or <c>rate-limit</c>.</summary>
    RateLimited,

    /// <summary>429 <c>insufficient_quota</c>, "Free allocated quota exceeded." (no <c>Retry-After</c>). Header name <c>quota</c>.</summary>
    QuotaExhausted,

    /// <summary>The connection is aborted before the status line. Header name <c>reset</c>.</summary>
    ResetBeforeHeaders,

    /// <summary>
    /// The connection is aborted after <c>after</c> content chunks (default 1) of a stream; a non-streaming answer
    /// is aborted after its head and part of its body. Header name <c>reset-mid-stream</c>.
    /// </summary>
    ResetMidStream,

    /// <summary>
    /// One malformed <c>data:</c> frame (truncated JSON) after <c>after</c> content chunks (default 1), then the
    /// stream goes on normally; a non-streaming answer is a 200 whose body is not valid JSON. Header name <c>malformed</c>.
    /// </summary>
    MalformedFrame,

    /// <summary>
    /// The head (and <c>after</c> content chunks, default 0) is sent, then nothing until the client leaves.
    /// Header name <c>stall</c>.
    /// </summary>
    Stall,

    // Qwen's plan answers: the per-minute limit worded as a quota, billing, and keys or callers a plan refuses.

    /// <summary>
    /// 429 <c>Throttling.AllocationQuota</c>, "Allocated quota exceeded, please increase your quota limit.": a plan's
    /// per-minute token limit (no <c>Retry-After</c> unless <c>retry-after=N</c>). Header name <c>plan-quota</c>.
    /// </summary>
    PlanPerMinuteQuota,

    /// <summary>400 <c>Arrearage</c>: the account is overdue. Header name <c>arrearage</c>.</summary>
    Arrearage,

    /// <summary>403 <c>CommodityNotPurchased</c>: the plan was not bought. Header name <c>not-purchased</c>.</summary>
    CommodityNotPurchased,

    /// <summary>429 <c>Throttling.AllocationQuota</c>, "Free allocated quota exceeded.": the free tier is used up. Header name <c>free-quota</c>.</summary>
    FreeAllocationUsedUp,

    /// <summary>401 "invalid access token or token expired": how Coding Plan answers a general key. Header name <c>coding-plan-key</c>.</summary>
    GeneralKeyOnCodingPlan,

    /// <summary>403 "invalid api-key": how the standard hosts answer a plan's key. Header name <c>invalid-api-key</c>.</summary>
    InvalidApiKey,

    /// <summary>405 <c>{"error":"Coding Plan is currently only available for Coding Agents"}</c>. Header name <c>coding-agents-only</c>.</summary>
    CodingAgentsOnly,

    /// <summary>400 "model 'x' is not supported", x the requested model. Header name <c>model-not-supported</c>.</summary>
    ModelNotSupported,

    /// <summary>404 <c>model_not_found</c>, "The model `x` does not exist…". Header name <c>model-not-found</c>.</summary>
    ModelNotFound,

    /// <summary>
    /// 529, the overloaded status of Anthropic's API (<c>overloaded_error</c> on the Anthropic route; on the chat route
    /// a server error in Qwen's shape). Header name <c>529</c> or <c>overloaded</c>.
    /// </summary>
    Overloaded,

    /// <summary>
    /// 400 "&lt;400&gt; InternalError.Algo.InvalidParameter: Range of input length should be [1, N]": the prompt is longer
    /// than the model takes (<c>invalid_parameter_error</c> on the chat route, <c>invalid_request_error</c> on the
    /// Anthropic route). Header name <c>context-overflow</c>.
    /// </summary>
    ContextOverflow,
}
