using System.Buffers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using QwenFastProxy.Streaming;

namespace QwenFastProxy.Tests.Streaming;

/// <summary>Runs payloads through a <see cref="StreamRepairer"/> the way the relay does, one frame per arrival.</summary>
internal static class StreamRepairHarness
{
    /// <summary>Gap between simulated arrivals: a typical token cadence.</summary>
    public static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(30);

    /// <summary>Arrival cadences the corpus is run at: steady, bursty, and irregular (timing is one of the detector's factors).</summary>
    public static readonly IReadOnlyDictionary<string, int[]> Cadences = new Dictionary<string, int[]>
    {
        ["steady"] = [30],
        ["burst"] = [0],
        ["irregular"] = [1, 40, 2, 2, 90],
        ["jittery"] = [3, 70, 0, 15, 100, 1, 45, 8, 0, 60],
        // The timing factor at its extremes: every gap far longer, or far shorter, than the last.
        ["slowing"] = [1, 4, 16, 64, 256, 1024, 4096],
        ["accelerating"] = [4096, 1024, 256, 64, 16, 4, 1],
    };

    public static (string Output, StreamRepairer Repairer) Run(IEnumerable<string> payloads, StreamRepairOptions? options = null, bool done = true, List<string>? transitions = null, int[]? gapsMs = null)
    {
        gapsMs ??= [30];
        var arrival = 0;
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var repairer = new StreamRepairer(options ?? new StreamRepairOptions(), time,
            transitions is null ? null : (from, to, reason) => transitions.Add($"{from}->{to}: {reason}"));
        var output = new ArrayBufferWriter<byte>();
        foreach (var payload in payloads)
        {
            time.Advance(TimeSpan.FromMilliseconds(gapsMs[arrival++ % gapsMs.Length]));
            // As the relay does: a hold whose age bound passed before this frame arrived goes out first.
            if (repairer.HoldDeadline is { } deadline && time.GetTimestamp() >= deadline)
            {
                repairer.Expire(output);
            }
            Feed(repairer, $"data: {payload}\n\n", output);
        }
        if (done)
        {
            time.Advance(Gap);
            Feed(repairer, "data: [DONE]\n\n", output);
        }
        else
        {
            repairer.Complete(output, "upstream ended");
        }
        return (Encoding.UTF8.GetString(output.WrittenSpan), repairer);
    }

    public static FrameResult Feed(StreamRepairer repairer, string frame, IBufferWriter<byte> output)
    {
        var sequence = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(frame));
        return repairer.Process(sequence, output);
    }
}
