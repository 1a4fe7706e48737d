using System.Text;
using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Slab;

namespace Tracer.Analysis.Tests.Slab;

public sealed class SlabGrowthAnalyzerTests
{
    [Fact]
    public void MonotonicGrowthWithAgingObjectsIsALeakSuspect()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        var data = new SlabIntervals();
        for (var i = 0; i < 20; i++)
        {
            analyzer.Observe(data.Next(allocated: 1_200, freed: 1_000));
        }

        var suspect = Assert.Single(sink.Of<SlabLeakSuspectFinding>());
        Assert.Equal(SlabIntervals.Cache, suspect.Cache);
        Assert.Equal(15 * 200, suspect.GrowthObjects);
        Assert.Equal(200, suspect.ObjectsPerSecond, precision: 6);
        Assert.True(suspect.MeanOutstandingAgeNs >= 5 * SlabIntervals.IntervalNs, $"mean age {suspect.MeanOutstandingAgeNs}");
        Assert.True(suspect.SUnreclaimDeltaKb > 0);
        var stack = Assert.Single(suspect.TopStacks);
        Assert.Equal("__sys_socket → sock_alloc_inode", stack.Path);
        Assert.Equal("hrrb", Assert.Single(stack.Comms).Comm);
        Assert.Contains("__sys_socket → sock_alloc_inode (hrrb", suspect.Message);
        Assert.Equal(new ProcessIdentity(SlabIntervals.Pid, "hrrb", default), suspect.Allocator);
        Assert.Equal(SlabIntervals.Pid, suspect.OwnerPid);
        Assert.True(analyzer.Caches.Single().Suspected);
    }

    [Fact]
    public void TheMainAllocatorIsTheProcessWithTheMostSampledOutstandingObjects()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        OutstandingGroup Group(string comm, int count, int pid) =>
            new(SlabIntervals.Cache, comm, SlabIntervals.Frames, count, (ulong)count * SlabIntervals.ObjectSize, 1, 1, pid);
        SlabInterval At(ulong seconds, ulong allocs, IReadOnlyList<OutstandingGroup> outstanding) => new(seconds * SlabIntervals.IntervalNs,
            [new SlabCacheCounters(SlabIntervals.Cache, SlabIntervals.ObjectSize, allocs, 0, allocs * SlabIntervals.ObjectSize)],
            new Dictionary<string, SlabinfoEntry>(), 20_000, outstanding, 1);

        analyzer.Observe(At(1, 0, []));
        // one process's two stacks outweigh the single larger group of another; it was "perl" before it renamed itself
        analyzer.Observe(At(2, 100, [Group("sshd", 40, 77), Group("perl", 5, 4242), Group("hrrb", 30, 4242), Group("hrrb", 30, 4242)]));

        var growth = Assert.Single(sink.Of<SlabGrowthFinding>());
        Assert.Equal(new ProcessIdentity(4242, "hrrb", default), growth.Allocator);
        Assert.Equal(4242, growth.OwnerPid);
    }

    [Fact]
    public void SawtoothIsNotASuspect()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        var data = new SlabIntervals();
        for (var cycle = 0; cycle < 6; cycle++)
        {
            for (var i = 0; i < 6; i++)
            {
                analyzer.Observe(data.Next(allocated: 1_000, freed: 0));
            }

            analyzer.Observe(data.Next(allocated: 0, freed: 6_000));
        }

        Assert.Empty(sink.Of<SlabLeakSuspectFinding>());
        Assert.NotEmpty(sink.Of<SlabGrowthFinding>());
    }

    [Fact]
    public void SteadyChurnHasHighRatesButNoGrowth()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        var data = new SlabIntervals();
        for (var i = 0; i < 30; i++)
        {
            analyzer.Observe(data.Next(allocated: 50_000, freed: 50_000));
        }

        Assert.Empty(sink.Findings);
        var view = analyzer.Caches.Single();
        Assert.Equal(50_000, view.AllocsPerSecond, precision: 6);
        Assert.Equal(0, view.ObjectsPerSecond);
    }

    [Fact]
    public void GrowthWhoseObjectsAreFreedYoungIsNotASuspect()
    {
        // the cache grows, but what stays outstanding is always the newest: a queue filling, not a leak
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        var data = new SlabIntervals();
        analyzer.Observe(data.Next(0, 0));
        for (var i = 0; i < 20; i++)
        {
            var young = data.Next(allocated: 200, freed: 0);
            analyzer.Observe(young with
            {
                Outstanding = [.. young.Outstanding.Select(g => g with { OldestAllocNs = young.TimestampNs, MeanAllocNs = young.TimestampNs })],
            });
        }

        Assert.Empty(sink.Of<SlabLeakSuspectFinding>());
    }

    [Fact]
    public void GrowthFindingsCarryRatesStacksAndSUnreclaim()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        var data = new SlabIntervals();
        analyzer.Observe(data.Next(0, 0));
        analyzer.Observe(data.Next(allocated: 3_000, freed: 1_000));

        var growth = Assert.Single(sink.Of<SlabGrowthFinding>());
        Assert.Equal(2_000, growth.NetObjects);
        Assert.Equal(2_000 * (long)SlabIntervals.ObjectSize, growth.NetBytes);
        Assert.Equal(NetSource.Kernel, growth.Source);
        Assert.Equal(3_000, growth.AllocsPerSecond, precision: 6);
        Assert.Equal(2_000, growth.SlabinfoDelta);
        Assert.Equal(200 * (long)SlabIntervals.SampleEvery, growth.TopStacks.Single().Objects);
        Assert.Equal("hrrb", growth.TopStacks.Single().Comms[0].Comm);
    }

    [Fact]
    public void GrowthNoLargerThanTheFreesTheKernelMissedIsNotReported()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        var data = new SlabIntervals();
        analyzer.Observe(data.Next(0, 0));
        analyzer.Observe(data.Next(allocated: 10_000, freed: 9_000) with { MissedFrees = 1_500 });
        Assert.Empty(sink.Findings);
        analyzer.Observe(data.Next(allocated: 10_000, freed: 7_000) with { MissedFrees = 2_000 });
        Assert.Equal(500, Assert.Single(sink.Of<SlabGrowthFinding>()).MissedFrees);
    }

    [Fact]
    public void KmallocCachesWithoutFreesGrowBySlabinfo()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        SlabInterval At(ulong seconds, ulong allocs, long active) => new(seconds * SlabIntervals.IntervalNs,
            [new SlabCacheCounters("kmalloc-8", 8, allocs, null, allocs * 8)],
            new Dictionary<string, SlabinfoEntry> { ["kmalloc-8"] = new("kmalloc-8", active, 8) }, null, [], 1);
        analyzer.Observe(At(1, 1_000, 5_000));
        analyzer.Observe(At(2, 2_000, 5_512));

        var growth = Assert.Single(sink.Of<SlabGrowthFinding>());
        Assert.Equal(NetSource.Slabinfo, growth.Source);
        Assert.Equal(512, growth.NetObjects);
        Assert.Null(growth.FreesPerSecond);
    }

    [Fact]
    public void OomFindingNamesTheVictimAndTheLargestCaches()
    {
        var analyzer = new SlabGrowthAnalyzer(new CollectingSink());
        var data = new SlabIntervals();
        var now = data.Next(100, 0);
        analyzer.Observe(now);
        var oom = analyzer.Oom(new OomVictim(now.TimestampNs, 4242, "nginx", 33, 1 << 30, 4242, "nginx"), now);
        Assert.Equal(SlabIntervals.Cache, oom.LargestCaches.Single().Cache);
        Assert.Contains("OOM killer chose 4242/nginx", oom.Message);
    }

    [Fact]
    public void WithoutPerObjectHooksGrowthComesFromSlabinfoAndNamesTheGrowingCacheButNoSuspect()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        var data = new SlabIntervals();
        var growingAfter = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            analyzer.Observe(Watching(data.Next(allocated: 1_200, freed: 1_000)));
            if (analyzer.GrowingCaches.Count > 0)
            {
                growingAfter.Add(i);
            }
        }

        // the first interval is the baseline; the streak is 3 windows of 5 intervals
        Assert.Equal(15, growingAfter[0]);
        Assert.Equal(SlabIntervals.Cache, Assert.Single(analyzer.GrowingCaches));
        Assert.All(sink.Of<SlabGrowthFinding>(), g => Assert.Equal((NetSource.Slabinfo, 200L), (g.Source, g.NetObjects)));
        Assert.Empty(sink.Of<SlabLeakSuspectFinding>());
    }

    [Fact]
    public void HooksComingAndGoingLeaveEveryIntervalsNetChangeExact()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        var data = new SlabIntervals();
        SlabInterval? countingSince = null;
        for (var i = 0; i < 40; i++)
        {
            var interval = data.Next(allocated: 1_200, freed: 1_000);
            var hooked = i / 10 % 2 == 1;
            // each attach is a new kernel object: its counters start at zero
            countingSince = hooked ? countingSince ?? data.Previous : null;
            analyzer.Observe(hooked ? CountingSince(interval, countingSince!) : Watching(interval));
        }

        var growth = sink.Of<SlabGrowthFinding>().ToList();
        Assert.Equal(39, growth.Count);
        Assert.All(growth, g => Assert.Equal(200, g.NetObjects));
        Assert.Contains(growth, g => g.Source == NetSource.Kernel);
        Assert.Contains(growth, g => g.Source == NetSource.Slabinfo);
    }

    private static SlabInterval Watching(SlabInterval interval) => interval with { Caches = [], Outstanding = [] };

    private static SlabInterval CountingSince(SlabInterval interval, SlabInterval start)
    {
        var before = start.Caches.Single();
        return interval with
        {
            Caches = [.. interval.Caches.Select(c => c with { Allocs = c.Allocs - before.Allocs, Frees = c.Frees - before.Frees, AllocBytes = c.AllocBytes - before.AllocBytes })],
        };
    }
}
