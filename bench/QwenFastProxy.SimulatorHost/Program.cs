// The simulated Qwen upstream as a process of its own, for load and recovery runs:
//   qwen-simulator PORT [CHUNKS] [CHUNK_DELAY_MS] [--fault-rate R] [--fault-seed S] [--fault-kind K[,K...]]
// --fault-rate: probability in [0, 1] that a chat attempt fails; --fault-kind: the faults drawn from, as X-Sim-Fault
// names them (500, 502, 503, 429, quota, reset, reset-mid-stream, malformed, stall; default 500,502,503,reset);
// --fault-seed: the seed of the fault sequence (default 1). On SIGTERM/SIGINT it prints
// `attempts=N injected=M` (chat attempts received, faults injected) and exits.
// Requests are not recorded, so memory stays flat however long the run.
using System.Globalization;
using System.Runtime.InteropServices;
using QwenFastProxy.Simulator;

var positional = new List<string>();
double rate = 0;
var seed = 1;
var kinds = new List<SimulatedFault>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--fault-rate" when i + 1 < args.Length:
            rate = double.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--fault-seed" when i + 1 < args.Length:
            seed = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--fault-kind" when i + 1 < args.Length:
            foreach (var name in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!FaultHeaders.TryParseKind(name, out var kind))
                {
                    await Console.Error.WriteLineAsync($"qwen-simulator: unknown fault '{name}'");
                    return 2;
                }
                kinds.Add(kind);
            }
            break;
        default:
            positional.Add(args[i]);
            break;
    }
}

var port = positional.Count > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 18080;
var options = new SimulatorOptions
{
    RecordRequests = false,
    ChunkCount = positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 20,
    ChunkDelay = TimeSpan.FromMilliseconds(positional.Count > 2 ? int.Parse(positional[2], CultureInfo.InvariantCulture) : 0),
};
if (rate > 0)
{
    options.Faults.Seed = seed;
    options.Faults.Mix = kinds.Count > 0
        ? kinds
        : [SimulatedFault.InternalServerError, SimulatedFault.BadGateway, SimulatedFault.ServiceUnavailable, SimulatedFault.ResetBeforeHeaders];
    options.Faults.Rate = rate;
}

await using var simulator = await QwenSimulator.StartAsync(options, port: port);
Console.WriteLine($"simulated Qwen upstream on {simulator.BaseUrl}{(rate > 0 ? string.Create(CultureInfo.InvariantCulture, $" (fault rate {rate}, seed {seed}, kinds {string.Join(',', options.Faults.Mix)})") : "")}");
using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"attempts={simulator.ChatAttempts} injected={simulator.InjectedFaults}"));
return 0;
