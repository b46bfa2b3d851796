using QwenFastProxy.Buffers;

namespace QwenFastProxy.Tests.Buffers;

public sealed class PinnedBlockPoolTests
{
    [Fact]
    public void ARentedBlockIsReusedOnceReturned()
    {
        using var pool = new PinnedBlockPool();
        var first = pool.Rent();
        var memory = first.Memory;
        first.Dispose();

        using var second = pool.Rent(100);

        Assert.Equal(PinnedBlockPool.BlockSize, second.Memory.Length);
        Assert.True(memory.Span.Overlaps(second.Memory.Span), "the returned block was handed out again");
        Assert.Equal(0, pool.RetainedBlocks);
    }

    [Fact]
    public void ABlockDisposedTwiceIsPooledOnce()
    {
        using var pool = new PinnedBlockPool();
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();

        Assert.Equal(1, pool.RetainedBlocks);
        using var a = pool.Rent();
        using var b = pool.Rent();
        Assert.False(a.Memory.Span.Overlaps(b.Memory.Span), "two leases must never share a block");
    }

    [Fact]
    public void RentingMoreThanABlockIsRefused()
    {
        using var pool = new PinnedBlockPool();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(PinnedBlockPool.BlockSize + 1));
        Assert.Equal(PinnedBlockPool.BlockSize, pool.MaxBufferSize);
    }

    [Fact]
    public void BlocksAreNotPooledAfterThePoolIsDisposed()
    {
        var pool = new PinnedBlockPool();
        var block = pool.Rent();
        pool.Dispose();

        block.Dispose();

        Assert.Equal(0, pool.RetainedBlocks);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }
}
