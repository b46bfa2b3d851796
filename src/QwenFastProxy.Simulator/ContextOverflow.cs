namespace QwenFastProxy.Simulator;

/// <summary>
/// DashScope's answer to a prompt longer than the model takes: a 400 whose message names the allowed input range,
/// worded by the model server (<c>InternalError.Algo.InvalidParameter</c>) and passed through by every API front.
/// </summary>
internal static class ContextOverflow
{
    /// <summary>The input limit the message names; one figure for every model, as the simulator has no per-model limits.</summary>
    public const int MaxInputTokens = 1_000_000;

    public static readonly string Message =
        $"<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, {MaxInputTokens}]";
}
