namespace QwenFastProxy.Simulator;

/// <summary>
/// The request headers that steer fault injection on <c>/v1/chat/completions</c> and <c>/apps/anthropic/v1/messages</c>
/// (there with Anthropic's error bodies and events).
/// </summary>
/// <remarks>
/// <code>
/// X-Sim-Fault: kind[;after=N][;first=N][;retry-after=N]
/// X-Sim-Request-Id: any-id
/// </code>
/// <c>kind</c> is one of <c>500</c>, <c>502</c>, <c>503</c>, <c>429</c> (or <c>rate-limit</c>), <c>quota</c>, <c>reset</c>,
/// <c>reset-mid-stream</c>, <c>malformed</c>, <c>stall</c>, and Qwen's plan answers <c>plan-quota</c>, <c>arrearage</c>,
/// <c>not-purchased</c>, <c>free-quota</c>, <c>coding-plan-key</c>, <c>invalid-api-key</c>, <c>coding-agents-only</c>,
/// <c>model-not-supported</c>, <c>model-not-found</c>, plus <c>529</c> (or <c>overloaded</c>) and <c>context-overflow</c>
/// (see <see cref="SimulatedFault"/>). <c>after=N</c>: content chunks (on the Anthropic route, content block deltas)
/// delivered before a mid-stream fault. <c>first=N</c>: only the first N attempts carrying this request id fail,
/// later ones are answered normally (without an id, attempts are counted under the empty id). <c>retry-after=N</c>:
/// the <c>Retry-After</c> seconds of any fault answered with a status. A header that does not parse is answered with 400.
/// Every chat request carrying <c>X-Sim-Request-Id</c> is counted, fault or not: <see cref="QwenSimulator.Attempts"/>.
/// </remarks>
public static class FaultHeaders
{
    /// <summary>Chooses the fault: <c>kind[;after=N][;first=N][;retry-after=N]</c>.</summary>
    public const string Fault = "X-Sim-Fault";

    /// <summary>Names the logical request whose attempts are counted (a retrying proxy sends the same id each time).</summary>
    public const string RequestId = "X-Sim-Request-Id";

    /// <summary>Parses a fault name as <see cref="Fault"/> spells it (<c>500</c>, <c>reset</c>, <c>rate-limit</c>…).</summary>
    public static bool TryParseKind(string name, out SimulatedFault kind)
    {
        ArgumentNullException.ThrowIfNull(name);
        return FaultPlan.TryParseKind(name.Trim(), out kind);
    }
}
