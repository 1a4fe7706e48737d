namespace Tracer.Analysis.Slab;

/// <summary>
/// One cache's counters as the kernel aggregated them since tracing started.
/// <see cref="Frees"/> is null when the kernel cannot tell (kmalloc size classes: kfree() names no cache).
/// </summary>
public sealed record SlabCacheCounters(string Name, ulong ObjectSize, ulong Allocs, ulong? Frees, ulong AllocBytes);

/// <summary>One line of /proc/slabinfo: objects in use and their size.</summary>
public sealed record SlabinfoEntry(string Name, long ActiveObjects, long ObjectSize);

/// <summary>
/// Sampled allocations not yet freed that share a cache, a folded kernel stack and the allocating
/// process (<see cref="Pid"/>, its thread group; 0 when unknown, e.g. a recording without it).
/// Ages are measured from <see cref="OldestAllocNs"/> and <see cref="MeanAllocNs"/> (CLOCK_MONOTONIC).
/// </summary>
public sealed record OutstandingGroup(string Cache, string Comm, IReadOnlyList<string> Frames, int Count, ulong Bytes, ulong OldestAllocNs, ulong MeanAllocNs, int Pid = 0)
{
    public string Path => StackFolding.Summary(Frames);
}

/// <summary>
/// Everything known about the slab at the end of one interval: the analyzer's only input.
/// <see cref="MissedFrees"/> counts (cumulatively) kmem_cache_free events the kernel did not
/// hand to the program because it was already running on that CPU (a softirq interrupted it):
/// in that interval any cache's allocs − frees may overstate its growth by up to that many.
/// </summary>
public sealed record SlabInterval(
    ulong TimestampNs,
    IReadOnlyList<SlabCacheCounters> Caches,
    IReadOnlyDictionary<string, SlabinfoEntry> Slabinfo,
    long? SUnreclaimKb,
    IReadOnlyList<OutstandingGroup> Outstanding,
    uint SampleEvery,
    ulong MissedFrees = 0);

/// <summary>The OOM killer's choice, as the kernel reported it.</summary>
public sealed record OomVictim(ulong TimestampNs, int Pid, string Comm, uint Uid, ulong TotalVmBytes, int TriggerPid, string TriggerComm);
