// Load client for bench/load/compare.sh (its phases (d) slow and (f) startup). Two modes, each ending in one
// summary line of key=value pairs on stdout (the script parses it; a human can read it):
//
//   stream-load streams --url URL [--streams 1000] [--chunks 30] [--delay-ms 1000] [--ramp-ms 1000]
//                       [--timeout-s S] [--body FILE] [--token T]
//     Opens N streaming chat completions at once (spread over --ramp-ms so the listen backlogs are not what is
//     measured) and checks each one: HTTP 200, exactly --chunks content deltas, their concatenation equal to the
//     simulator's SimulatorOptions.DefaultResponseText (checked chunk by chunk, so a reordered or corrupted delta is
//     caught where it happens), `data: [DONE]` last, and the body ending after it. With --delay-ms > 0 it also
//     checks that the deltas arrived spread out in time (a proxy that buffers the whole answer fails "not-streamed").
//     --body: a JSON chat request with "stream":false (bench/load/request.json), sent with "stream":true.
//     Exit code 0 when every stream was intact, 1 otherwise.
//
//   stream-load startup --port P [--runs 10] [--path /healthz] -- BINARY [ARGS...]
//     Starts BINARY (environment inherited) --runs times plus one unrecorded first start (page cache), measures the
//     time from Process.Start (fork+exec) to the first HTTP 200 on --path, kills it, and prints the median.
using System.Globalization;
using QwenFastProxy.StreamLoad;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: stream-load streams --url URL [--streams N] [--chunks C] [--delay-ms D] [--ramp-ms R] [--timeout-s S] [--body FILE] [--token T]");
    Console.Error.WriteLine("       stream-load startup --port P [--runs N] [--path /healthz] -- BINARY [ARGS...]");
    return 2;
}

try
{
    return args[0] switch
    {
        "streams" => await SlowStreams.RunAsync(Arguments.Parse(args.AsSpan(1)), Console.Out).ConfigureAwait(false),
        "startup" => StartupProbe.Run(Arguments.Parse(args.AsSpan(1)), Console.Out),
        _ => throw new ArgumentException($"unknown mode '{args[0]}' (streams or startup)"),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stream-load: {ex.Message}"));
    return 2;
}
