using System.Runtime.InteropServices;
using Tracer.Interop;

namespace Tracer.Bench;

/// <summary>
/// The synthetic stream of ringfill.bpf.c: its <c>syscall</c> program, run on demand, appends
/// records the size of a TCP sample to the ring buffer <c>records</c>, numbered in their
/// <c>cookie</c> from 0 on, without wake-ups. Shared by the benchmark and the integration tests.
/// </summary>
public sealed class RingFill : IDisposable
{
    private readonly BpfObject obj;

    /// <param name="elfImage">ringfill.bpf.o</param>
    /// <param name="ringBytes">the ring's data size: a power of two, a multiple of the page size</param>
    public RingFill(ReadOnlySpan<byte> elfImage, uint ringBytes)
    {
        obj = BpfObject.Open("ringfill", elfImage);
        try
        {
            obj.Map("records").MaxEntries = ringBytes;
            obj.Load();
        }
        catch
        {
            obj.Dispose();
            throw;
        }
    }

    public BpfMap Records => obj.Map("records");

    /// <summary>The sequence number the next record will carry.</summary>
    public ulong Next { get; private set; }

    /// <summary>Sum of the sequence numbers of records <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1.</summary>
    public static ulong Checksum(ulong first, ulong count) => (count * first) + (count * (count - 1) / 2);

    /// <summary>Appends <paramref name="count"/> records; throws when the ring has no room for all of them.</summary>
    public void Fill(uint count)
    {
        var args = new FillArgs { First = Next, Count = count };
        var submitted = obj.Program("fill").TestRun(MemoryMarshal.AsBytes(new ReadOnlySpan<FillArgs>(in args)));
        Next += submitted;
        if (submitted != count)
        {
            throw new InvalidOperationException($"the ring took {submitted} of {count} records: drain it first");
        }
    }

    public void Dispose() => obj.Dispose();

    /// <summary>struct fill_args in ringfill.bpf.c.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 16)]
    private struct FillArgs
    {
        public ulong First;
        public uint Count;
    }
}
