// The simulated Qwen upstream as a process of its own, for load runs: `qwen-simulator PORT [CHUNKS] [CHUNK_DELAY_MS]`.
// Requests are not recorded, so memory stays flat however long the run.
using System.Globalization;
using QwenFastProxy.Simulator;

var port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 18080;
var options = new SimulatorOptions
{
    RecordRequests = false,
    ChunkCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20,
    ChunkDelay = TimeSpan.FromMilliseconds(args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 0),
};
await using var simulator = await QwenSimulator.StartAsync(options, port: port);
Console.WriteLine($"simulated Qwen upstream on {simulator.BaseUrl}");
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
