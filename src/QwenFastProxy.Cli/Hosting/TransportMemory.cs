using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using QwenFastProxy.Buffers;

namespace QwenFastProxy.Cli.Hosting;

/// <summary>
/// Gives the socket transport pinned, reused blocks (<see cref="PinnedBlockPool"/>). The transport's pool factory is
/// set by Kestrel's host through an internal property; without a host it can only be reached this way, and if a
/// later ASP.NET Core renames it the transport keeps its default pool (slower, still correct).
/// </summary>
internal static class TransportMemory
{
    /// <summary>True when the pinned pool was installed.</summary>
    public static bool TryUsePinnedBlocks(SocketTransportOptions options)
    {
        try
        {
            SetMemoryPoolFactory(options, new PinnedBlockPoolFactory());
            return true;
        }
        catch (MissingMethodException)
        {
            return false;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MemoryPoolFactory")]
    private static extern void SetMemoryPoolFactory(SocketTransportOptions options, IMemoryPoolFactory<byte> factory);

    private sealed class PinnedBlockPoolFactory : IMemoryPoolFactory<byte>
    {
        public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new PinnedBlockPool();
    }
}
