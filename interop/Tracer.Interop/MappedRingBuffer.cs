using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tracer.Interop;

/// <summary>
/// A BPF ring buffer read straight from its memory mapping: no native→managed
/// callback per record, no copy. The layout is the kernel's (kernel/bpf/ringbuf.c):
/// a read-write consumer page holding consumer_pos, then a read-only producer
/// page holding producer_pos, then the data area mapped twice in a row so a
/// record that wraps around its end is still contiguous. Each record starts with
/// an 8-byte header: its length with the BUSY and DISCARD bits, and a page offset.
/// </summary>
public sealed unsafe class MappedRingBuffer : IEventSource
{
    private const int ProtRead = 0x1;
    private const int ProtWrite = 0x2;
    internal const uint BusyBit = 1u << 31; // BPF_RINGBUF_BUSY_BIT
    internal const uint DiscardBit = 1u << 30; // BPF_RINGBUF_DISCARD_BIT
    internal const int HeaderSize = 8; // BPF_RINGBUF_HDR_SZ

    private readonly RecordHandler handler;
    private readonly MemoryMapping consumer;
    private readonly MemoryMapping producer;
    private readonly BpfFd epoll;
    private readonly ulong mask;
    private readonly ulong* consumerPos;
    private readonly ulong* producerPos;
    private readonly byte* data;

    public MappedRingBuffer(BpfMap map, RecordHandler handler)
    {
        if (map.Kind != MapKind.RingBuffer)
        {
            throw new ArgumentException($"{map.Name} is not a ring buffer", nameof(map));
        }

        this.handler = handler;
        var page = (nuint)Environment.SystemPageSize;
        var size = (nuint)map.MaxEntries;
        mask = size - 1;
        consumer = MemoryMapping.Map(map, page, ProtRead | ProtWrite, 0);
        try
        {
            producer = MemoryMapping.Map(map, page + (2 * size), ProtRead, (nint)page);
            epoll = Epoll.Create(map.Name);
            Epoll.Add(epoll, map.Fd, map.Name);
        }
        catch
        {
            epoll?.Dispose();
            consumer.Dispose();
            producer?.Dispose();
            throw;
        }

        consumerPos = (ulong*)consumer.Address;
        producerPos = (ulong*)producer.Address;
        data = (byte*)producer.Address + page;
    }

    /// <summary>A ring buffer counts its drops in the BPF program, not here.</summary>
    public ulong Lost => 0;

    public int WaitFd => epoll.Fd;

    /// <summary>Waits up to <paramref name="timeoutMs"/> for a wake-up, then drains every committed record.</summary>
    public int Poll(int timeoutMs)
    {
        if (timeoutMs != 0)
        {
            Epoll.Wait(epoll, 1, timeoutMs, "ring buffer");
        }

        return Consume();
    }

    /// <summary>Hands every committed record to the handler, in order, and releases its space to the producer.</summary>
    /// <remarks>Compiled fully optimized on first use: the loop runs from then on, never in tier-0 or on-stack-replacement code.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Consume()
    {
        ObjectDisposedException.ThrowIf(consumer.IsClosed, this);
        var count = 0;
        var position = Volatile.Read(ref *consumerPos);
        while (true)
        {
            var end = Volatile.Read(ref *producerPos);
            if (position >= end)
            {
                return count;
            }

            do
            {
                var header = data + (position & mask);
                var length = Volatile.Read(ref *(uint*)header);
                if ((length & BusyBit) != 0)
                {
                    return count; // reserved but not yet committed: the next poll takes it
                }

                var recordLength = length & ~(BusyBit | DiscardBit);
                position += (recordLength + HeaderSize + 7) & ~7UL;
                if ((length & DiscardBit) == 0)
                {
                    handler(new ReadOnlySpan<byte>(header + HeaderSize, (int)recordLength));
                    count++;
                }

                // release the space only after the record was handled: the span points into it
                Volatile.Write(ref *consumerPos, position);
            }
            while (position < end);
        }
    }

    public void Dispose()
    {
        epoll.Dispose();
        producer.Dispose();
        consumer.Dispose();
    }
}

/// <summary>Owns an mmap'd range; releasing it unmaps it.</summary>
internal sealed unsafe class MemoryMapping : SafeHandle
{
    private const int MapShared = 0x01;
    private readonly nuint length;

    private MemoryMapping(void* address, nuint length)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)address);
        this.length = length;
    }

    public override bool IsInvalid => handle == IntPtr.Zero || handle == new IntPtr(-1);

    public void* Address => (void*)handle;

    public static MemoryMapping Map(BpfMap map, nuint length, int protection, nint offset)
    {
        var address = LibC.mmap(null, length, protection, MapShared, map.Fd, offset);
        if (address == (void*)-1)
        {
            throw new BpfException("mmap", Marshal.GetLastPInvokeError(), $"{map.Name}, {length} bytes at {offset}");
        }

        return new MemoryMapping(address, length);
    }

    protected override bool ReleaseHandle() => LibC.munmap((void*)handle, length) == 0;
}
