using System.Buffers;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>A memory pool that counts the bytes it has lent and not got back, and the most it ever had out.</summary>
internal sealed class CountingPool : MemoryPool<byte>
{
    private long _outstanding;
    private long _peak;

    public long Outstanding => Interlocked.Read(ref _outstanding);

    public long Peak => Interlocked.Read(ref _peak);

    public override int MaxBufferSize => Shared.MaxBufferSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        var owner = Shared.Rent(minBufferSize);
        var now = Interlocked.Add(ref _outstanding, owner.Memory.Length);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
        {
        }
        return new Lent(this, owner);
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Lent(CountingPool pool, IMemoryOwner<byte> inner) : IMemoryOwner<byte>
    {
        private int _returned;

        public Memory<byte> Memory => inner.Memory;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) != 0)
                return;
            Interlocked.Add(ref pool._outstanding, -inner.Memory.Length);
            inner.Dispose();
        }
    }
}
