using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using QwenFastProxy.Cli.Hosting;

namespace QwenFastProxy.IntegrationTests;

/// <summary>The transport gets the pinned block pool through an internal Kestrel property: fail loudly if it moves.</summary>
public sealed class TransportMemoryTests
{
    [Fact]
    public void ThePinnedBlockPoolReachesTheSocketTransport()
    {
        Assert.True(TransportMemory.TryUsePinnedBlocks(new SocketTransportOptions()));
    }
}
