using System.Buffers;

namespace QwenFastProxy.Benchmarks.Http;

/// <summary>
/// A stand-in for Kestrel's internal PinnedBlockMemoryPool, which backs the connection's output pipe in
/// production: fixed 4096-byte blocks, owners reused. <c>MemoryPool&lt;byte&gt;.Shared</c> would allocate
/// an owner object per rent and show up in the Allocated column of every pipe benchmark; with this pool
/// the column only shows what the code under test allocates. As in Kestrel, a pipe asked for more than
/// <see cref="MaxBufferSize"/> bypasses the pool and rents from <see cref="ArrayPool{T}.Shared"/>.
/// </summary>
internal sealed class BlockMemoryPool : MemoryPool<byte>
{
    private const int BlockSize = 4096;
    private readonly Stack<Block> _free = new();

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        lock (_free)
        {
            return _free.TryPop(out var block) ? block : new Block(this);
        }
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Block(BlockMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = new byte[BlockSize];

        public Memory<byte> Memory => _array;

        public void Dispose()
        {
            lock (pool._free)
            {
                pool._free.Push(this);
            }
        }
    }
}
