using System.Globalization;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;

namespace Tracer.Analysis.Slab;

/// <summary>
/// A stack behind a cache's outstanding objects: estimated objects and bytes
/// (sampled × the sampling rate), and the command names that allocated them.
/// </summary>
public sealed record StackShare(string Path, IReadOnlyList<string> Frames, long Objects, ulong Bytes, IReadOnlyList<(string Comm, long Objects)> Comms)
{
    public override string ToString() =>
        $"{Path} ({string.Join(", ", Comms.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Comm} ×{c.Objects}")))})";
}

/// <summary>Where a cache's net object count came from.</summary>
public enum NetSource : byte
{
    /// <summary>Allocations minus frees counted in the kernel.</summary>
    Kernel = 0,

    /// <summary>The change of active objects in /proc/slabinfo (kmalloc caches: kfree() names no cache).</summary>
    Slabinfo = 1,
}

/// <summary><c>slab.growth</c>: a cache holds more objects at the end of the interval than at its start.</summary>
public sealed record SlabGrowthFinding(
    ulong TimestampNs, string Cache, ulong IntervalNs, long NetObjects, long NetBytes, NetSource Source,
    double AllocsPerSecond, double? FreesPerSecond, long? SlabinfoDelta, long? SUnreclaimKb, long? SUnreclaimDeltaKb,
    IReadOnlyList<StackShare> TopStacks, long MissedFrees = 0)
    : Finding(TimestampNs)
{
    public override FindingKind Kind => FindingKind.SlabGrowth;

    /// <inheritdoc cref="SlabLeakSuspectFinding.Allocator"/>
    public ProcessIdentity Allocator { get; init; }

    public override int OwnerPid => Allocator.Pid;

    public override Severity Severity => Severity.Info;

    public double ObjectsPerSecond => NetObjects / Seconds(IntervalNs);

    public double BytesPerSecond => NetBytes / Seconds(IntervalNs);

    public override string Message =>
        string.Create(CultureInfo.InvariantCulture, $"{Cache} +{NetObjects} objects (+{Human.Bytes((ulong)Math.Max(0, NetBytes))}) in {Human.Duration(IntervalNs)}")
        + (TopStacks.Count > 0 ? $"; outstanding via {TopStacks[0]}" : "");

    internal static double Seconds(ulong ns) => Math.Max(ns, 1) / 1e9;

    public override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.Cache, Cache);
        fields.Process(Allocator with { Container = Container });
        fields.Add(Fields.IntervalMs, TimeSpan.FromTicks((long)(IntervalNs / 100)));
        fields.Add(Fields.NetObjects, NetObjects);
        fields.Add(Fields.NetBytes, NetBytes);
        fields.Add(Fields.ObjectsPerSecond, Math.Round(ObjectsPerSecond, 1));
        fields.Add(Fields.BytesPerSecond, Math.Round(BytesPerSecond, 1));
        fields.Add(Fields.NetSource, Source.Spelling());
        fields.Add(Fields.AllocsPerSecond, Math.Round(AllocsPerSecond, 1));
        fields.Add(Fields.FreesPerSecond, FreesPerSecond is { } frees ? Math.Round(frees, 1) : null);
        fields.Add(Fields.SlabinfoDelta, SlabinfoDelta);
        fields.Add(Fields.SUnreclaimKb, SUnreclaimKb is { } kb ? new Kilobytes(kb) : null);
        fields.Add(Fields.SUnreclaimDeltaKb, SUnreclaimDeltaKb is { } delta ? new Kilobytes(delta) : null);
        fields.Add(Fields.MissedFrees, MissedFrees);
        fields.Add(Fields.TopStacks, TopStacks);
    }
}

/// <summary>
/// <c>slab.leak_suspect</c>: a cache grew in every window of the streak while its
/// sampled outstanding objects kept aging (they are not being freed).
/// </summary>
public sealed record SlabLeakSuspectFinding(
    ulong TimestampNs, string Cache, ulong StreakNs, long GrowthObjects, long GrowthBytes, ulong MeanOutstandingAgeNs,
    long? SUnreclaimDeltaKb, IReadOnlyList<StackShare> TopStacks)
    : Finding(TimestampNs)
{
    public override FindingKind Kind => FindingKind.SlabLeakSuspect;

    /// <summary>The process that allocated most of the cache's sampled outstanding objects (pid 0 when none was sampled).</summary>
    public ProcessIdentity Allocator { get; init; }

    public override int OwnerPid => Allocator.Pid;

    public override Severity Severity => Severity.Warning;

    public double ObjectsPerSecond => GrowthObjects / SlabGrowthFinding.Seconds(StreakNs);

    public double BytesPerSecond => GrowthBytes / SlabGrowthFinding.Seconds(StreakNs);

    public override string Message =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Cache} grew by {GrowthObjects} objects ({Human.Bytes((ulong)Math.Max(0, GrowthBytes))}) over {Human.Duration(StreakNs)}, {ObjectsPerSecond:F0} objects/s; ")
        + $"its outstanding objects are {Human.Duration(MeanOutstandingAgeNs)} old on average and not freed"
        + (SUnreclaimDeltaKb is { } d ? string.Create(CultureInfo.InvariantCulture, $"; SUnreclaim {(d >= 0 ? "+" : "")}{d} kB") : "")
        + (TopStacks.Count > 0 ? $"; allocated via {string.Join("; ", TopStacks)}" : "");

    public override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.Cache, Cache);
        fields.Process(Allocator with { Container = Container });
        fields.Add(Fields.StreakMs, TimeSpan.FromTicks((long)(StreakNs / 100)));
        fields.Add(Fields.GrowthObjects, GrowthObjects);
        fields.Add(Fields.GrowthBytes, GrowthBytes);
        fields.Add(Fields.ObjectsPerSecond, Math.Round(ObjectsPerSecond, 1));
        fields.Add(Fields.BytesPerSecond, Math.Round(BytesPerSecond, 1));
        fields.Add(Fields.MeanOutstandingAgeMs, TimeSpan.FromTicks((long)(MeanOutstandingAgeNs / 100)));
        fields.Add(Fields.SUnreclaimDeltaKb, SUnreclaimDeltaKb is { } delta ? new Kilobytes(delta) : null);
        fields.Add(Fields.TopStacks, TopStacks);
    }
}

/// <summary>A cache's size at the moment of an OOM kill.</summary>
public sealed record CacheSize(string Cache, long Objects, long Bytes);

/// <summary><c>slab.oom</c>: the OOM killer chose a victim; the slab as it was then.</summary>
public sealed record SlabOomFinding(
    ulong TimestampNs, int VictimPid, string VictimComm, uint Uid, ulong VictimTotalVmBytes, int TriggerPid, string TriggerComm,
    long? SUnreclaimKb, IReadOnlyList<CacheSize> LargestCaches, IReadOnlyList<string> GrowingCaches)
    : Finding(TimestampNs)
{
    public override FindingKind Kind => FindingKind.SlabOom;

    public override Severity Severity => Severity.Critical;

    public override string Message =>
        $"OOM killer chose {VictimPid}/{VictimComm} (uid {Uid}, {Human.Bytes(VictimTotalVmBytes)} virtual), triggered by {TriggerPid}/{TriggerComm}; "
        + (SUnreclaimKb is { } kb ? string.Create(CultureInfo.InvariantCulture, $"SUnreclaim {Human.Bytes((ulong)kb * 1024)}; ") : "")
        + $"largest caches {string.Join(", ", LargestCaches.Select(c => $"{c.Cache} {Human.Bytes((ulong)c.Bytes)}"))}"
        + (GrowingCaches.Count > 0 ? $"; growing: {string.Join(", ", GrowingCaches)}" : "");

    public override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.VictimPid, (long)VictimPid);
        fields.Add(Fields.VictimComm, VictimComm);
        fields.Add(Fields.Uid, (ulong)Uid);
        fields.Add(Fields.VictimTotalVmBytes, VictimTotalVmBytes);
        fields.Add(Fields.TriggerPid, (long)TriggerPid);
        fields.Add(Fields.TriggerComm, TriggerComm);
        fields.Add(Fields.SUnreclaimKb, SUnreclaimKb is { } kb ? new Kilobytes(kb) : null);
        fields.Add(Fields.LargestCaches, LargestCaches);
        fields.Add(Fields.GrowingCaches, GrowingCaches);
    }
}

/// <summary>
/// <c>tracer.slab_attribution_on</c> / <c>_off</c>: always-on slab tracking attached its per-object
/// hooks because <see cref="Caches"/> grew in a sustained way, or took them off after a calm.
/// </summary>
public sealed record SlabAttributionFinding(ulong TimestampNs, bool On, IReadOnlyList<string> Caches, TimeSpan Calm) : Finding(TimestampNs)
{
    public override FindingKind Kind => On ? FindingKind.SlabAttributionOn : FindingKind.SlabAttributionOff;

    public override Severity Severity => Severity.Info;

    public override string Message => On
        ? $"sustained growth in {string.Join(", ", Caches)}: counting every allocation and free in the kernel and sampling who allocates, to tell kept objects from churn"
        : $"no cache has grown for {Human.Duration(Calm)}: per-object hooks detached, growth is watched in /proc/slabinfo";

    public override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.Attribution, On);
        fields.Add(Fields.GrowingCaches, Caches);
    }
}

/// <summary>
/// <c>tracer.slab_attribution_full</c>: the kernel's attribution table had no room for sampled
/// allocations; counts are unaffected, stacks and ages rest on fewer samples.
/// </summary>
public sealed record SlabAttributionFullFinding(ulong TimestampNs, ulong Refused, ulong RefusedTotal, uint SampleEvery) : Finding(TimestampNs)
{
    public override FindingKind Kind => FindingKind.SlabAttributionFull;

    public override Severity Severity => Severity.Warning;

    public override string Message =>
        string.Create(CultureInfo.InvariantCulture,
            $"attribution table full: {Refused} sampled allocations were not remembered (counts are unaffected); sample more sparsely than 1/{SampleEvery}");

    public override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.Refused, Refused);
        fields.Add(Fields.RefusedTotal, RefusedTotal);
    }
}
