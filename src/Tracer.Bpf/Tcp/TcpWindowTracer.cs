using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Tcp;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Owners;
using Tracer.Interop;
using Tracer.Interop.Events;

namespace Tracer.Bpf.Tcp;

/// <summary>Kernel-side filters, applied before load (an unset field filters nothing).</summary>
public sealed record TcpFilter
{
    public int? Pid { get; init; }
    public string? Comm { get; init; }
    public ushort? Port { get; init; }
    public ulong? CgroupId { get; init; }
    public AddressFamily? Family { get; init; }
}

public sealed record TcpTraceOptions
{
    public TcpFilter Filter { get; init; } = new();

    /// <summary>One sample per segment instead of only the samples that matter.</summary>
    public bool EverySegment { get; init; }

    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A sample each time the wl1 lag crosses a multiple of this many bytes.</summary>
    public ulong Wl1LagStep { get; init; } = 1UL << 28;

    public uint RingBufferBytes { get; init; } = 4 << 20;

    /// <summary>
    /// Learn owners in the kernel from every sendmsg/recvmsg (a hook on each call). Off: owners come
    /// from /proc when a connection first reports, and are taught to the kernel from there.
    /// </summary>
    public bool OwnerHooks { get; init; } = true;

    /// <summary>
    /// 0: every connection is followed (a state and a first sample) from its first segment; else
    /// only once it has moved this many bytes or its window closed or probes went out. Under
    /// connection churn that spares each short, healthy connection the state and the sample.
    /// </summary>
    public ulong FollowAfterBytes { get; init; }
}

public delegate void TcpSampleHandler(in TcpSample sample);

/// <summary>
/// The TCP send-window tracer: loads bpf/tcpwin.bpf.c with the attach
/// fallback, reads its ring (or perf) buffer, decodes and attributes samples.
/// </summary>
public sealed class TcpWindowTracer : IDisposable
{
    private const EmitReason VerdictReasons =
        EmitReason.ZeroWindowEnter | EmitReason.ZeroWindowLeave | EmitReason.Wl1Lag | EmitReason.UpdateIgnored | EmitReason.Probes;
    private readonly LoadedComponent component;
    private readonly IEventSource source;
    private readonly TcpEventDecoder decoder = new();
    private readonly ProcSocketOwners procOwners = new();
    private readonly TcpFilter filter;
    private readonly bool ownerHooks;
    private readonly BpfMap owners;
    private readonly BpfMap drops;
    private readonly BpfMap suppressed;
    private readonly BpfMap detail;
    private readonly int cpus = BpfMap.PossibleCpus;
    private DetailLevel detailLevel;
    private TcpSampleHandler? handler;
    private ulong malformed;

    private TcpWindowTracer(LoadedComponent component, Transport transport, TcpTraceOptions options)
    {
        var filter = options.Filter;
        this.component = component;
        this.filter = filter;
        ownerHooks = options.OwnerHooks;
        Transport = transport;
        owners = component.Object.Map("owners");
        drops = component.Object.Map("drops");
        suppressed = component.Object.Map("suppressed");
        detail = component.Object.Map("detail");
        var events = component.Object.Map("events");
        source = transport == Transport.PerfBuffer
            ? new PerfBufferSource(events, OnRecord, PerfPagesPerCpu(options.RingBufferBytes))
            : new MappedRingBuffer(events, OnRecord);
    }

    public Transport Transport { get; }

    public IReadOnlyList<HookChoice> Choices => component.Choices;

    /// <summary>
    /// Samples lost because the buffer was full, counted per CPU by the program when the
    /// ring or perf buffer refuses one (the perf buffer's own lost count is the same samples).
    /// </summary>
    public ulong Dropped => drops.SumPerCpu(0);

    /// <summary>Samples the kernel counted instead of sending under <see cref="DetailLevel.Verdict"/>.</summary>
    public ulong Suppressed => suppressed.SumPerCpu(0);

    /// <summary>How much detail the kernel side sends (the overhead control's lever).</summary>
    public DetailLevel Detail
    {
        get => detailLevel;
        set
        {
            detail.Update(0u, (uint)value);
            detailLevel = value;
        }
    }

    /// <summary>The kernel's totals now: delivered <paramref name="samples"/>, suppressed, dropped per CPU.</summary>
    public LoadState Load(ulong samples)
    {
        var dropped = new ulong[cpus];
        if (!drops.TryLookupPerCpu(0u, dropped.AsSpan()))
        {
            Array.Clear(dropped);
        }

        return new LoadState(samples, Suppressed, dropped, Detail);
    }

    /// <summary>Records too short to be a tcp_window_event (never expected; counted, not hidden).</summary>
    public ulong Malformed => malformed;

    public static TcpWindowTracer Start(BpfSettings settings, TcpTraceOptions options, ILogger logger)
    {
        var transport = settings.ChosenTransport();
        var loader = new ComponentLoader(settings, logger);
        var component = loader.Load(options.OwnerHooks ? TcpWindowComponent.Component : TcpWindowComponent.AckPathOnly, obj => Configure(obj, options, transport));
        try
        {
            return new TcpWindowTracer(component, transport, options);
        }
        catch
        {
            component.Dispose();
            throw;
        }
    }

    /// <summary>The perf buffer gets about as much memory as the ring would, split over the CPUs (a power of two pages each).</summary>
    private static int PerfPagesPerCpu(uint ringBytes)
    {
        var pages = Math.Max(1, (int)(ringBytes / Environment.SystemPageSize / (uint)Environment.ProcessorCount));
        return 1 << (31 - int.LeadingZeroCount(pages));
    }

    /// <summary>Readable when the program wakes the reader: an urgent sample, or the buffer a quarter full.</summary>
    public int WaitFd => source.WaitFd;

    /// <summary>Waits up to <paramref name="timeoutMs"/> and hands every decoded sample to <paramref name="onSample"/>.</summary>
    public int Poll(int timeoutMs, TcpSampleHandler onSample)
    {
        handler = onSample;
        try
        {
            return source.Poll(timeoutMs);
        }
        finally
        {
            handler = null;
        }
    }

    public void Dispose()
    {
        source.Dispose();
        component.Dispose();
    }

    private static void Configure(BpfObject obj, TcpTraceOptions options, Transport transport)
    {
        var f = options.Filter;
        obj.SetConstant("filter_tgid", (uint)(f.Pid ?? 0));
        obj.SetConstant("filter_port", f.Port ?? 0);
        obj.SetConstant("filter_family", f.Family switch
        {
            AddressFamily.InterNetwork => (ushort)LinuxAddressFamily.Inet,
            AddressFamily.InterNetworkV6 => (ushort)LinuxAddressFamily.Inet6,
            _ => (ushort)0,
        });
        obj.SetConstant("filter_cgroup", f.CgroupId ?? 0);
        if (f.Comm is { Length: > 0 } comm)
        {
            var bytes = Encoding.UTF8.GetBytes(comm);
            obj.SetConstant("filter_comm", bytes.AsSpan(0, Math.Min(bytes.Length, TcpWindowEvent.CommLength - 1)));
        }

        obj.SetConstant("every_segment", options.EverySegment ? (byte)1 : (byte)0);
        obj.SetConstant("heartbeat_ns", (ulong)options.Heartbeat.Ticks * 100);
        obj.SetConstant("wl1_lag_step", options.Wl1LagStep);
        obj.SetConstant("follow_after_bytes", options.FollowAfterBytes);
        TcpWindowComponent.ConfigureTransport(obj, transport, options.RingBufferBytes);
    }

    private void OnRecord(ReadOnlySpan<byte> record)
    {
        if (!decoder.TryDecode(record, out var sample, out var inode))
        {
            malformed++;
            return;
        }

        // without owner hooks only the samples findings are made of are worth a /proc scan
        var verdictSample = (sample.Reason & VerdictReasons) != 0 || sample.SndWnd == 0;
        if (sample.Pid == 0 && inode != 0 && (ownerHooks || verdictSample) && procOwners.TryFind(inode, out var owner, urgent: verdictSample))
        {
            sample = sample with { Pid = owner.Pid, Comm = owner.Comm };
            Teach(sample.Cookie, owner);
        }

        // the kernel passes sockets whose owner it has not seen yet; finish the filter here
        if (filter.Pid is { } pid && sample.Pid != pid)
        {
            return;
        }

        if (filter.Comm is { Length: > 0 } comm && !TaskComm.Matches(comm, sample.Comm))
        {
            return;
        }

        handler?.Invoke(sample);
    }

    /// <summary>Hands an owner found in /proc to the kernel, so its filters and later samples know it.</summary>
    private unsafe void Teach(ulong cookie, SocketOwner owner)
    {
        var value = new TcpOwner { tgid = (uint)owner.Pid };
        var bytes = Encoding.UTF8.GetBytes(owner.Comm);
        var n = Math.Min(bytes.Length, TcpWindowEvent.CommLength - 1);
        for (var i = 0; i < n; i++)
        {
            value.comm[i] = bytes[i];
        }

        owners.Update(cookie, value);
    }
}
