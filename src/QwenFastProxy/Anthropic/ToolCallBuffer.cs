using QwenFastProxy.Buffers;

namespace QwenFastProxy.Anthropic;

/// <summary>Where a streamed tool call stands in the translation.</summary>
internal enum ToolCallPhase : byte
{
    /// <summary>Seen, not yet a block: waiting for its id and name, or for the open tool block to finish.</summary>
    Pending,

    /// <summary>The open tool_use block: its arguments stream straight through.</summary>
    Open,

    /// <summary>Its block is closed.</summary>
    Closed,
}

/// <summary>
/// One streamed tool call, by its chat <c>index</c>: the id and name as raw JSON string tokens, and the argument
/// bytes (raw, still escaped) that arrived before its block could open. Reused across exchanges.
/// </summary>
internal sealed class ToolCallBuffer : IDisposable
{
    private const int KeepAtMost = 16 * 1024;

    public int ChatIndex { get; private set; }

    public ToolCallPhase Phase { get; set; }

    public int Block { get; set; } = -1;

    /// <summary>True once any argument bytes went out in an input_json_delta.</summary>
    public bool SentArguments { get; set; }

    /// <summary>The id's JSON string token, quotes included; empty until known.</summary>
    public PooledBytes Id { get; } = new();

    /// <summary>The name's JSON string token, quotes included; empty until known.</summary>
    public PooledBytes Name { get; } = new();

    /// <summary>Held argument text, raw between its quotes.</summary>
    public PooledBytes Arguments { get; } = new();

    public bool Ready => Id.Length > 0 && Name.Length > 0;

    public void Start(int chatIndex)
    {
        ChatIndex = chatIndex;
        Phase = ToolCallPhase.Pending;
        Block = -1;
        SentArguments = false;
        Id.Reset(KeepAtMost);
        Name.Reset(KeepAtMost);
        Arguments.Reset(KeepAtMost);
    }

    public void Dispose()
    {
        Id.Dispose();
        Name.Dispose();
        Arguments.Dispose();
    }
}
