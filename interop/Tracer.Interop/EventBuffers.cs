using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tracer.Interop.Native;

namespace Tracer.Interop;

/// <summary>Receives one record as the kernel wrote it; the span is valid only during the call.</summary>
public delegate void RecordHandler(ReadOnlySpan<byte> record);

/// <summary>Where the kernel's records arrive: a BPF ring buffer or, before Linux 5.8, a perf buffer.</summary>
public interface IEventSource : IDisposable
{
    /// <summary>Waits up to <paramref name="timeoutMs"/> for records and hands each to the handler; returns how many.</summary>
    int Poll(int timeoutMs);

    /// <summary>A descriptor that becomes readable when the kernel wakes the reader (for a <see cref="WaitSet"/>).</summary>
    int WaitFd { get; }

    /// <summary>Records the perf buffer reported lost (a ring buffer counts its drops in the BPF program).</summary>
    ulong Lost { get; }
}

/// <summary>libbpf's perf buffer consumer over a BPF_MAP_TYPE_PERF_EVENT_ARRAY map (one ring per CPU).</summary>
public sealed unsafe class PerfBufferSource : IEventSource
{
    private readonly PerfBufferHandle handle;
    private readonly RecordHandler handler;
    private GCHandle self;
    private Exception? failure;
    private ulong lost;

    public PerfBufferSource(BpfMap map, RecordHandler handler, int pagesPerCpu = 64)
    {
        this.handler = handler;
        self = GCHandle.Alloc(this);
        var pb = LibBpf.perf_buffer__new(map.Fd, (nuint)pagesPerCpu, &OnSample, &OnLost, (void*)GCHandle.ToIntPtr(self), null);
        if (pb == null)
        {
            var errno = Marshal.GetLastSystemError();
            self.Free();
            throw new BpfException("perf_buffer__new", errno, map.Name);
        }

        handle = new PerfBufferHandle(pb);
    }

    public ulong Lost => Volatile.Read(ref lost);

    public int WaitFd => LibBpf.perf_buffer__epoll_fd(handle.PerfBuffer);

    public int Poll(int timeoutMs)
    {
        var n = LibBpf.perf_buffer__poll(handle.PerfBuffer, timeoutMs);
        if (failure is { } e)
        {
            failure = null;
            throw new InvalidOperationException("record handler failed", e);
        }

        return n == -Errno.EINTR ? 0 : Errno.Check(n, "perf_buffer__poll");
    }

    public void Dispose()
    {
        handle.Dispose();
        if (self.IsAllocated)
        {
            self.Free();
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnSample(void* ctx, int cpu, void* data, uint size)
    {
        var source = (PerfBufferSource)GCHandle.FromIntPtr((IntPtr)ctx).Target!;
        if (source.failure is not null)
        {
            return;
        }

        try
        {
            source.handler(new ReadOnlySpan<byte>(data, (int)size));
        }
        catch (Exception e)
        {
            source.failure = e;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLost(void* ctx, int cpu, ulong count)
    {
        var source = (PerfBufferSource)GCHandle.FromIntPtr((IntPtr)ctx).Target!;
        Interlocked.Add(ref source.lost, count);
    }
}
