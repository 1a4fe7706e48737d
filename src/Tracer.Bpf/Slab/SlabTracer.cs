using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Slab;
using Tracer.Bpf.Attach;
using Tracer.Interop;
using Tracer.Interop.Events;

namespace Tracer.Bpf.Slab;

public sealed record SlabTraceOptions
{
    /// <summary>About one object address in this many is remembered for attribution (1 = all).</summary>
    public uint SampleEvery { get; init; } = 64;

    /// <summary>Sampled objects the kernel keeps at most; a full table refuses new samples, counts stay exact.</summary>
    public uint AttributionCapacity { get; init; } = 16384;

    /// <summary>
    /// Count every allocation and free in the kernel and sample who allocates. Off: no per-object
    /// hook, only OOM kills; each cache's growth comes from /proc/slabinfo.
    /// </summary>
    public bool PerObject { get; init; } = true;
}

/// <summary>
/// The slab tracer: loads bpf/slab.bpf.c with the attach fallback and turns its
/// maps, /proc/slabinfo and /proc/meminfo into one <see cref="SlabInterval"/> per call of <see cref="Snapshot"/>.
/// </summary>
public sealed class SlabTracer : IDisposable
{
    private const string SlabinfoPath = "/proc/slabinfo";
    private const string MeminfoPath = "/proc/meminfo";
    private readonly LoadedComponent component;
    private readonly SlabTraceOptions options;
    private readonly BpfMap caches;
    private readonly BpfMap cacheInfo;
    private readonly BpfMap outstanding;
    private readonly BpfMap stacks;
    private readonly BpfMap stats;
    private readonly MappedRingBuffer oomEvents;
    private readonly KernelSymbols symbols;
    private readonly bool kmallocAttributed;
    private readonly Dictionary<SlabCacheKey, (string Name, ulong ObjectSize)> names = [];
    private readonly Dictionary<int, IReadOnlyList<string>> foldedStacks = [];
    private readonly ProcFile slabinfo;
    private readonly ProcFile meminfo = new(MeminfoPath);
    private Dictionary<string, SlabinfoEntry>? lastSlabinfo;
    private Action<OomVictim>? onOom;

    private SlabTracer(LoadedComponent component, SlabTraceOptions options, KernelSymbols symbols, ProcFile slabinfo)
    {
        this.slabinfo = slabinfo;
        this.component = component;
        this.options = options;
        this.symbols = symbols;
        var obj = component.Object;
        caches = obj.Map("caches");
        cacheInfo = obj.Map("cache_info");
        outstanding = obj.Map("outstanding");
        stacks = obj.Map("stacks");
        stats = obj.Map("stats");
        oomEvents = new MappedRingBuffer(obj.Map("oom_events"), OnOomRecord);
        kmallocAttributed = Chosen(SlabComponent.Kfree) is not null;
    }

    public IReadOnlyList<HookChoice> Choices => component.Choices;

    /// <summary>Sampled allocations the full attribution table refused (their counts are still exact).</summary>
    public ulong AttributionFull => stats.SumPerCpu((uint)SlabStat.AttributionFull);

    /// <summary>Allocations of caches the per-cache table had no room for.</summary>
    public ulong CacheTableFull => stats.SumPerCpu((uint)SlabStat.CacheTableFull);

    public ulong OomDropped => stats.SumPerCpu((uint)SlabStat.OomDropped);

    /// <summary>
    /// kmem_cache_free events no program counted: the first free program was skipped
    /// (it was running when a softirq freed more) and there is no backstop to count them.
    /// </summary>
    public ulong MissedFrees =>
        Chosen(SlabComponent.CacheFreeBackstop) is null && Chosen(SlabComponent.CacheFree)?.Chosen is { } free
            ? component.Object.Program(free.Program).RecursionMisses()
            : 0;

    /// <summary>Recursion misses of the first free program, recovered by the backstop when it is attached.</summary>
    public ulong SkippedByFirstFreeProgram =>
        Chosen(SlabComponent.CacheFree)?.Chosen is { } free ? component.Object.Program(free.Program).RecursionMisses() : 0;

    public static SlabTracer Start(BpfSettings settings, SlabTraceOptions options, ILogger logger)
    {
        if (!KernelSupport.HasRingBuffer)
        {
            throw new NotSupportedException("tracer slab needs the BPF ring buffer (Linux 5.8+) for OOM events");
        }

        // /proc/slabinfo is mode 0400: without root, capabilities for BPF are not enough
        ProcFile slabinfo;
        try
        {
            slabinfo = new ProcFile(SlabinfoPath);
        }
        catch (UnauthorizedAccessException)
        {
            throw new NotSupportedException($"{SlabinfoPath} is readable by root only: slab tracking needs root or CAP_DAC_READ_SEARCH besides CAP_BPF and CAP_PERFMON");
        }

        LoadedComponent? component = null;
        try
        {
            component = new ComponentLoader(settings, logger).Load(options.PerObject ? SlabComponent.Component : SlabComponent.SlabinfoWatch, obj => Configure(obj, options));
            // read after load: the loaded programs' own frames (bpf_prog_*) are then named too.
            // Without per-object hooks there are no stacks to name.
            using var kallsyms = options.PerObject ? File.OpenText("/proc/kallsyms") : TextReader.Null;
            return new SlabTracer(component, options, KernelSymbols.Parse(kallsyms), slabinfo);
        }
        catch
        {
            component?.Dispose();
            slabinfo.Dispose();
            throw;
        }
    }

    public static void Configure(BpfObject obj, SlabTraceOptions options)
    {
        obj.SetConstant("sample_threshold", uint.MaxValue / Math.Max(1u, options.SampleEvery));
        obj.SetConstant("kmalloc_max_cache_size", 2UL * (ulong)Environment.SystemPageSize);
        if (!options.PerObject)
        {
            // only the OOM program is loaded: the tables of the per-object programs stay token-sized
            foreach (var map in new[] { "caches", "cache_info", "outstanding", "stacks" })
            {
                obj.Map(map).MaxEntries = 1;
            }

            return;
        }

        obj.Map("outstanding").MaxEntries = options.AttributionCapacity;
        // a stack whose bucket another stack holds gets no id: dense sampling meets more distinct stacks
        obj.Map("stacks").MaxEntries = options.SampleEvery < 64 ? 16384u : 4096u;
    }

    /// <summary>Whether this tracer counts every allocation and free (else growth comes from /proc/slabinfo only).</summary>
    public bool PerObject => options.PerObject;

    /// <summary>Readable when an OOM kill was recorded.</summary>
    public int OomWaitFd => oomEvents.WaitFd;

    /// <summary>Waits up to <paramref name="timeoutMs"/> for OOM kills and hands each to <paramref name="handler"/>.</summary>
    public int PollOom(int timeoutMs, Action<OomVictim> handler)
    {
        onOom = handler;
        try
        {
            return oomEvents.Poll(timeoutMs);
        }
        finally
        {
            onOom = null;
        }
    }

    /// <summary>The kernel's per-cache counters, the sampled outstanding objects, /proc/slabinfo and SUnreclaim, now.</summary>
    public SlabInterval Snapshot(ulong nowNs)
    {
        var counters = new List<SlabCacheCounters>();
        if (!options.PerObject)
        {
            return new SlabInterval(nowNs, counters, ReadSlabinfo(), ReadSUnreclaimKb(), [], options.SampleEvery);
        }

        foreach (var (key, sum) in SumCacheSlots())
        {
            var (name, size) = Describe(key);
            var kmalloc = key.kind == (uint)SlabCacheKeyKind.KmallocSize;
            counters.Add(new SlabCacheCounters(name, size, sum.allocs, kmalloc ? null : sum.frees, sum.alloc_bytes));
        }

        return new SlabInterval(nowNs, counters, ReadSlabinfo(), ReadSUnreclaimKb(), ReadOutstanding(), options.SampleEvery, MissedFrees);
    }

    public void Dispose()
    {
        oomEvents.Dispose();
        component.Dispose();
        slabinfo.Dispose();
        meminfo.Dispose();
    }

    /// <summary>kmalloc size classes are named as the kernel names their caches (kmalloc-96, kmalloc-1k).</summary>
    public static string KmallocName(ulong size) =>
        size >= 1024 && size % 1024 == 0 ? $"kmalloc-{size / 1024}k" : $"kmalloc-{size}";

    /// <summary>Every CPU's slots of the cache table, summed by the cache that claimed them.</summary>
    private Dictionary<SlabCacheKey, SlabCacheCounts> SumCacheSlots()
    {
        var values = new SlabCacheSlot[BpfMap.PossibleCpus];
        var sums = new Dictionary<SlabCacheKey, SlabCacheCounts>();
        for (var index = 0u; index < SlabCacheSlot.Count; index++)
        {
            if (!caches.TryLookupPerCpu(index, values.AsSpan()))
            {
                continue;
            }

            foreach (ref readonly var slot in values.AsSpan())
            {
                if (slot.key.kind == 0)
                {
                    continue;
                }

                var sum = sums.GetValueOrDefault(slot.key);
                sum.allocs += slot.counts.allocs;
                sum.frees += slot.counts.frees;
                sum.alloc_bytes += slot.counts.alloc_bytes;
                sum.sampled += slot.counts.sampled;
                sums[slot.key] = sum;
            }
        }

        return sums;
    }

    private Dictionary<string, SlabinfoEntry> ReadSlabinfo() => lastSlabinfo = ProcSlab.ParseSlabinfo(slabinfo.Read(), lastSlabinfo);

    private long? ReadSUnreclaimKb() => ProcSlab.ParseSUnreclaimKb(meminfo.Read());

    private List<OutstandingGroup> ReadOutstanding()
    {
        var groups = new Dictionary<(SlabCacheKey Cache, int Stack, string Comm, uint Tgid), (int Count, ulong Bytes, ulong Oldest, double SumAlloc)>();
        Span<byte> value = stackalloc byte[Marshal.SizeOf<SlabObject>()];
        foreach (var address in outstanding.Keys<ulong>((int)options.AttributionCapacity))
        {
            if (!outstanding.TryLookup(address, value))
            {
                continue;
            }

            var obj = MemoryMarshal.Read<SlabObject>(value);
            if (!kmallocAttributed && obj.cache.kind == (uint)SlabCacheKeyKind.KmallocSize)
            {
                continue;
            }

            var key = (obj.cache, obj.stack_id, Comm(obj), obj.tgid);
            var g = groups.TryGetValue(key, out var known) ? known : (Count: 0, Bytes: 0UL, Oldest: ulong.MaxValue, SumAlloc: 0.0);
            groups[key] = (g.Count + 1, g.Bytes + obj.bytes, Math.Min(g.Oldest, obj.alloc_ns), g.SumAlloc + obj.alloc_ns);
        }

        return groups.Select(kv => new OutstandingGroup(Describe(kv.Key.Cache).Name, kv.Key.Comm, Frames(kv.Key.Stack),
            kv.Value.Count, kv.Value.Bytes, kv.Value.Oldest, (ulong)(kv.Value.SumAlloc / kv.Value.Count), (int)kv.Key.Tgid)).ToList();
    }

    private unsafe (string Name, ulong ObjectSize) Describe(SlabCacheKey key)
    {
        if (names.TryGetValue(key, out var known))
        {
            return known;
        }

        if (key.kind == (uint)SlabCacheKeyKind.KmallocSize)
        {
            return names[key] = (KmallocName(key.id), key.id);
        }

        Span<byte> value = stackalloc byte[sizeof(SlabCacheInfo)];
        if (!cacheInfo.TryLookup(key, value))
        {
            return ($"cache@{key.id:x}", 0);
        }

        var info = MemoryMarshal.Read<SlabCacheInfo>(value);
        var name = CString(new ReadOnlySpan<byte>(info.name, SlabCacheInfo.NameLength));
        return names[key] = (name.Length > 0 ? name : $"cache@{key.id:x}", info.object_size);
    }

    private IReadOnlyList<string> Frames(int stackId)
    {
        if (stackId < 0)
        {
            return [];
        }

        if (foldedStacks.TryGetValue(stackId, out var known))
        {
            return known;
        }

        Span<ulong> ips = stackalloc ulong[SlabObject.StackDepth];
        if (!stacks.TryLookup((uint)stackId, MemoryMarshal.AsBytes(ips)))
        {
            return [];
        }

        var frames = new List<string>();
        foreach (var ip in ips)
        {
            if (ip == 0)
            {
                break;
            }

            frames.Add(symbols.Resolve(ip));
        }

        return foldedStacks[stackId] = StackFolding.Fold(frames);
    }

    private HookChoice? Chosen(HookSpec hook) => component.Choices.FirstOrDefault(c => c.Hook == hook && c.Chosen is not null);

    private static unsafe string Comm(in SlabObject obj)
    {
        fixed (byte* comm = obj.comm)
        {
            return CString(new ReadOnlySpan<byte>(comm, TcpWindowEvent.CommLength));
        }
    }

    private static string CString(ReadOnlySpan<byte> raw)
    {
        var length = raw.IndexOf((byte)0);
        return Encoding.UTF8.GetString(length < 0 ? raw : raw[..length]);
    }

    private unsafe void OnOomRecord(ReadOnlySpan<byte> record)
    {
        if (record.Length < sizeof(SlabOomEvent))
        {
            return;
        }

        var ev = MemoryMarshal.Read<SlabOomEvent>(record);
        onOom?.Invoke(new OomVictim(ev.ts_ns, (int)ev.victim_tgid, CString(new ReadOnlySpan<byte>(ev.victim_comm, TcpWindowEvent.CommLength)), ev.uid,
            ev.total_vm_pages * (ulong)Environment.SystemPageSize, (int)ev.trigger_tgid,
            CString(new ReadOnlySpan<byte>(ev.trigger_comm, TcpWindowEvent.CommLength))));
    }
}
