namespace QwenFastProxy.Simulator;

/// <summary>
/// Seeded random faults: each chat attempt without an <c>X-Sim-Fault</c> header fails with <see cref="Kind"/>
/// with probability <see cref="Rate"/>. The n-th such attempt's fate is a pure function of (<see cref="Seed"/>, n),
/// so a run of N attempts injects the same number of faults every time. May be changed while the simulator runs.
/// </summary>
public sealed class FaultSettings
{
    // Volatile reads: tests change these from another thread while Kestrel threads read them.
    private long _rateBits;
    private int _seed;
    private int _kind;
    private int _afterChunks = 1;
    private int _retryAfterSeconds = 1;
    private SimulatedFault[] _mix = [];

    /// <summary>Probability in [0, 1] that an attempt fails; 0 (the default) injects nothing.</summary>
    public double Rate
    {
        get => BitConverter.Int64BitsToDouble(Volatile.Read(ref _rateBits));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 0.0);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1.0);
            Volatile.Write(ref _rateBits, BitConverter.DoubleToInt64Bits(value));
        }
    }

    /// <summary>Seed of the fault sequence.</summary>
    public int Seed
    {
        get => Volatile.Read(ref _seed);
        set => Volatile.Write(ref _seed, value);
    }

    /// <summary>The fault injected; <see cref="SimulatedFault.None"/> (the default) injects nothing.</summary>
    public SimulatedFault Kind
    {
        get => (SimulatedFault)Volatile.Read(ref _kind);
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown fault.");
            }
            Volatile.Write(ref _kind, (int)value);
        }
    }

    /// <summary>
    /// Several faults to draw from (uniformly, seeded like the rate) instead of the single <see cref="Kind"/>; empty
    /// (the default) uses <see cref="Kind"/>. E.g. 500, 502, 503 and reset for a recovery experiment.
    /// </summary>
    public IReadOnlyList<SimulatedFault> Mix
    {
        get => Volatile.Read(ref _mix);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var copy = value.ToArray();
            foreach (var kind in copy)
            {
                if (kind == SimulatedFault.None || !Enum.IsDefined(kind))
                {
                    throw new ArgumentOutOfRangeException(nameof(value), kind, "Unknown fault.");
                }
            }
            Volatile.Write(ref _mix, copy);
        }
    }

    /// <summary>Content chunks delivered before a mid-stream fault (the header's <c>after=N</c>); default 1.</summary>
    public int AfterChunks
    {
        get => Volatile.Read(ref _afterChunks);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _afterChunks, value);
        }
    }

    /// <summary><c>Retry-After</c> seconds of an injected 429 (the header's <c>retry-after=N</c>); default 1.</summary>
    public int RetryAfterSeconds
    {
        get => Volatile.Read(ref _retryAfterSeconds);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _retryAfterSeconds, value);
        }
    }
}
