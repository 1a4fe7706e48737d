using Tracer.Analysis.Findings;
using Tracer.Analysis.Slab;

namespace Tracer.Analysis.Tests.Slab;

/// <summary>
/// Interval data as <c>tracer slab</c> records it, built from per-interval net
/// changes: one cache with kernel counters, its sampled outstanding objects
/// (allocated at the interval they appeared in, freed last-in first-out), and SUnreclaim.
/// </summary>
public sealed class SlabIntervals
{
    public const ulong IntervalNs = 1_000_000_000;
    public const ulong ObjectSize = 832;
    public const string Cache = "sock_inode_cache";
    public const uint SampleEvery = 10;
    public const int Pid = 4242;
    public static readonly IReadOnlyList<string> Frames = ["sock_alloc_inode", "alloc_inode", "new_inode_pseudo", "sock_alloc", "__sock_create", "__sys_socket"];

    private readonly List<ulong> outstanding = [];
    private ulong allocs;
    private ulong frees;
    private ulong now = 1_000 * IntervalNs;
    private long sunreclaimKb = 20_000;

    /// <summary>The interval before the latest one made by <see cref="Next"/>.</summary>
    public SlabInterval? Previous { get; private set; }

    private SlabInterval? latest;

    /// <summary>One interval in which <paramref name="allocated"/> objects came and <paramref name="freed"/> went.</summary>
    public SlabInterval Next(long allocated, long freed)
    {
        Previous = latest;
        latest = Make(allocated, freed);
        return latest;
    }

    private SlabInterval Make(long allocated, long freed)
    {
        now += IntervalNs;
        allocs += (ulong)allocated;
        frees += (ulong)freed;
        for (var i = 0; i < allocated / SampleEvery; i++)
        {
            outstanding.Add(now);
        }

        var retire = Math.Min(outstanding.Count, (int)(freed / SampleEvery));
        outstanding.RemoveRange(outstanding.Count - retire, retire);
        sunreclaimKb += (allocated - freed) * (long)ObjectSize / 1024;
        var groups = outstanding.Count == 0
            ? []
            : new List<OutstandingGroup>
            {
                new(Cache, "hrrb", Frames, outstanding.Count, (ulong)outstanding.Count * ObjectSize, outstanding.Min(),
                    (ulong)outstanding.Average(t => (double)t), Pid),
            };
        return new SlabInterval(now,
            [new SlabCacheCounters(Cache, ObjectSize, allocs, frees, allocs * ObjectSize)],
            new Dictionary<string, SlabinfoEntry> { [Cache] = new(Cache, (long)(allocs - frees) + 500, (long)ObjectSize) },
            sunreclaimKb, groups, SampleEvery);
    }
}

public sealed class CollectingSink : IFindingSink
{
    public List<Finding> Findings { get; } = [];

    public IEnumerable<T> Of<T>() => Findings.OfType<T>();

    public void Emit(Finding finding) => Findings.Add(finding);
}
