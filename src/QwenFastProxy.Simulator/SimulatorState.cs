namespace QwenFastProxy.Simulator;

/// <summary>What every endpoint of one simulator instance shares.</summary>
internal sealed class SimulatorState(SimulatorOptions options, RequestLog requests)
{
    public SimulatorOptions Options { get; } = options;

    public RequestLog Requests { get; } = requests;

    public SimulatorIds Ids { get; } = new();

    public OAuthServer OAuth { get; } = new();

    public FaultInjection Faults { get; } = new();
}
