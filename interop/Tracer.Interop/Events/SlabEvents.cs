using System.Runtime.InteropServices;

namespace Tracer.Interop.Events;

/// <summary>C# mirror of <c>enum slab_cache_key_kind</c>.</summary>
public enum SlabCacheKeyKind : uint
{
    CachePointer = 1,
    NameHash = 2,
    KmallocSize = 3,
}

/// <summary>C# mirror of <c>struct slab_cache_key</c>: key of the per-cache tables.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SlabCacheKey
{
    public ulong id;
    public uint kind;
    public uint __pad;
}

/// <summary>C# mirror of <c>struct slab_cache_counts</c>: one CPU's counters of one cache.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SlabCacheCounts
{
    public ulong allocs;
    public ulong frees;
    public ulong alloc_bytes;
    public ulong sampled;
}

/// <summary>C# mirror of <c>struct slab_cache_slot</c>: one CPU's slot of the per-CPU cache table.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SlabCacheSlot
{
    /// <summary><c>TRACER_SLAB_CACHE_SLOTS</c>.</summary>
    public const int Count = 1024;

    public SlabCacheKey key;
    public SlabCacheCounts counts;
    public ulong object_size;
}

/// <summary>C# mirror of <c>struct slab_cache_info</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SlabCacheInfo
{
    /// <summary><c>TRACER_SLAB_NAME_LEN</c>.</summary>
    public const int NameLength = 32;

    public ulong object_size;
    public fixed byte name[NameLength];
}

/// <summary>C# mirror of <c>struct slab_object</c>: a sampled allocation not yet freed.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SlabObject
{
    /// <summary><c>TRACER_SLAB_STACK_DEPTH</c>: frames in the entry of the <c>stacks</c> map that <see cref="stack_id"/> names.</summary>
    public const int StackDepth = 32;

    public ulong alloc_ns;
    public SlabCacheKey cache;
    public uint tgid;
    public uint pid;
    public int stack_id;
    public uint bytes;
    public fixed byte comm[TcpWindowEvent.CommLength];
}

/// <summary>C# mirror of <c>enum slab_stat</c>: slots of the per-CPU <c>stats</c> array.</summary>
public enum SlabStat : uint
{
    AttributionFull = 0,
    CacheTableFull = 1,
    OomDropped = 2,
}

/// <summary>C# mirror of <c>struct slab_oom_event</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SlabOomEvent
{
    public ulong ts_ns;
    public ulong total_vm_pages;
    public uint victim_pid;
    public uint victim_tgid;
    public uint uid;
    public uint trigger_tgid;
    public fixed byte victim_comm[TcpWindowEvent.CommLength];
    public fixed byte trigger_comm[TcpWindowEvent.CommLength];
}
