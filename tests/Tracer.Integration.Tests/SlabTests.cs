using Tracer.Analysis.Slab;
using Tracer.Bpf;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Slab;
using Tracer.Cli.Output;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>The slab tracer on the real kernel, driven by a separate process that creates UNIX sockets.</summary>
public sealed class SlabTests(ITestOutputHelper output)
{
    private const string SocketInodes = "sock_inode_cache";

    public static TheoryData<AttachMethod> WorkingMethods => new() { AttachMethod.TpBtf, AttachMethod.RawTracepoint, AttachMethod.Tracepoint };

    [KernelTheory]
    [MemberData(nameof(WorkingMethods))]
    public void EveryAttachMethodCountsAndAttributesRealAllocations(AttachMethod method)
    {
        using var tracer = SlabTracer.Start(new BpfSettings { ForcedMethod = method }, new SlabTraceOptions { SampleEvery = 1 }, new TestLog(output));
        Assert.All(tracer.Choices, c => Assert.Equal(method, c.Chosen?.Method));

        using var workload = SlabWorkload.Hold($"slab_{method.Label()}", 2_000);
        var snapshot = tracer.Snapshot(Clock.MonotonicNowNsUnsigned);

        var inodes = Assert.Single(snapshot.Caches, c => c.Name == SocketInodes);
        Assert.True(inodes.Allocs >= 2_000, $"{method.Label()}: {inodes.Allocs} sock_inode_cache allocations");
        Assert.NotNull(inodes.Frees);
        Assert.Equal(832UL, inodes.ObjectSize);
        Assert.Contains(snapshot.Caches, c => c.Name.StartsWith("kmalloc-", StringComparison.Ordinal) && c.Allocs > 0 && c.Frees is null);
        var mine = snapshot.Outstanding.Where(g => g.Cache == SocketInodes && g.Comm == workload.Comm).ToList();
        Assert.True(mine.Sum(g => g.Count) >= 1_900, $"{method.Label()}: {mine.Sum(g => g.Count)} outstanding sock_inode_cache objects of {workload.Comm}");
        Assert.Contains(mine, g => g.Frames.Contains("__sys_socket") && g.Frames[0] == "sock_alloc_inode");
        output.WriteLine($"{method.Label()}: {inodes.Allocs} allocs, {inodes.Frees} frees; {string.Join("; ", mine.Select(g => $"{g.Path} ×{g.Count}"))}");
    }

    [KernelFact]
    public void HeldSocketsTopTheGrowthListAndTheGrowthReversesWhenTheyClose()
    {
        const int Sockets = 30_000;
        using var tracer = SlabTracer.Start(new BpfSettings(), new SlabTraceOptions { SampleEvery = 16 }, new TestLog(output));
        var sink = new Collector();
        var analyzer = new SlabGrowthAnalyzer(sink, new SlabAnalyzerOptions { WindowIntervals = 1, Windows = 2 });
        analyzer.Observe(tracer.Snapshot(Clock.MonotonicNowNsUnsigned));

        // tens of thousands of sockets, in as many processes as the descriptor limit needs
        var holders = Enumerable.Range(0, (Sockets + SlabWorkload.MaxHeld - 1) / SlabWorkload.MaxHeld)
            .Select(i => SlabWorkload.Hold("slabhold", Math.Min(SlabWorkload.MaxHeld, Sockets - i * SlabWorkload.MaxHeld)))
            .ToList();
        using var cleanup = new Holders(holders);
        analyzer.Observe(tracer.Snapshot(Clock.MonotonicNowNsUnsigned));
        var creation = sink.Growth.ToList();
        Thread.Sleep(500);
        analyzer.Observe(tracer.Snapshot(Clock.MonotonicNowNsUnsigned));
        holders.ForEach(h => h.CloseSockets());
        sink.Growth.Clear();
        var afterClose = new List<SlabCacheView>();
        for (var i = 0; i < 3; i++)
        {
            Thread.Sleep(500); // socket inodes are freed after an RCU grace period
            analyzer.Observe(tracer.Snapshot(Clock.MonotonicNowNsUnsigned));
            afterClose.AddRange(analyzer.Caches.Where(c => c.Name == SocketInodes));
        }

        foreach (var g in creation.Take(5))
        {
            output.WriteLine(g.Message);
        }

        Assert.Contains(SocketInodes, creation.Take(3).Select(g => g.Cache));
        var inodes = creation.Single(g => g.Cache == SocketInodes);
        Assert.True(inodes.NetObjects >= Sockets, $"sock_inode_cache +{inodes.NetObjects}");
        var top = inodes.TopStacks[0];
        Assert.Contains("__sys_socket", top.Frames);
        Assert.Equal("__sys_socket → sock_alloc_inode", top.Path);
        Assert.Equal("slabhold", top.Comms[0].Comm);
        Assert.InRange(top.Objects, Sockets / 2, Sockets * 2);

        var released = afterClose.Sum(v => v.ObjectsPerSecond * 0.5);
        output.WriteLine($"after close: {string.Join(", ", afterClose.Select(v => $"{v.ObjectsPerSecond:F0}/s"))}");
        Assert.True(released <= -0.9 * Sockets, $"sock_inode_cache released {released} objects after close");
        Assert.DoesNotContain(sink.Growth, g => g.Cache == SocketInodes && g.NetObjects > 1_000);
        Assert.Empty(sink.Suspects);
    }

    [KernelFact]
    public void SteadyChurnShowsHighRatesButNoGrowthAndNoSuspect()
    {
        using var tracer = SlabTracer.Start(new BpfSettings(), new SlabTraceOptions(), new TestLog(output));
        var sink = new Collector();
        var analyzer = new SlabGrowthAnalyzer(sink, new SlabAnalyzerOptions { WindowIntervals = 1, Windows = 2 });
        var first = tracer.Snapshot(Clock.MonotonicNowNsUnsigned);
        analyzer.Observe(first);

        using var workload = SlabWorkload.Churn("slabchurn", 3);
        var rates = new List<double>();
        SlabInterval last = first;
        for (var i = 0; i < 6; i++)
        {
            Thread.Sleep(500);
            last = tracer.Snapshot(Clock.MonotonicNowNsUnsigned);
            analyzer.Observe(last);
            rates.AddRange(analyzer.Caches.Where(c => c.Name == SocketInodes).Select(c => c.AllocsPerSecond));
        }

        var created = workload.WaitChurn();
        Thread.Sleep(1_000); // the last sockets' inodes are freed after an RCU grace period
        last = tracer.Snapshot(Clock.MonotonicNowNsUnsigned);
        analyzer.Observe(last);

        var before = first.Caches.SingleOrDefault(c => c.Name == SocketInodes);
        var after = last.Caches.Single(c => c.Name == SocketInodes);
        var allocs = (long)(after.Allocs - (before?.Allocs ?? 0));
        var net = allocs - (long)(after.Frees!.Value - (before?.Frees ?? 0));
        output.WriteLine($"churn: {created} sockets, {allocs} allocs, net {net}, rates {string.Join(", ", rates.Select(r => r.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}/s");
        Assert.True(allocs >= created, $"{allocs} sock_inode_cache allocations for {created} sockets");
        Assert.True(rates.Max() > 5_000, $"peak {rates.Max()} allocations/s");
        // other processes allocate and free sockets too: the churn itself must leave nothing outstanding
        Assert.InRange(net, -Math.Max(1_000, allocs / 100), Math.Max(1_000, allocs / 100));
        var left = last.Outstanding.Where(g => g.Comm == workload.Comm && g.Cache == SocketInodes).Sum(g => g.Count);
        Assert.True(left <= 2, $"{left} sampled sock_inode_cache objects of {workload.Comm} outstanding after the churn");
        Assert.DoesNotContain(sink.Growth, g => g.Cache == SocketInodes && g.NetObjects > 1_000);
        Assert.Empty(sink.Suspects);
    }

    [KernelFact]
    public void AFullAttributionTableRefusesSamplesButKeepsCounting()
    {
        using var tracer = SlabTracer.Start(new BpfSettings(), new SlabTraceOptions { SampleEvery = 1, AttributionCapacity = 16 }, new TestLog(output));
        using var workload = SlabWorkload.Hold("slabfull", 2_000);
        var snapshot = tracer.Snapshot(Clock.MonotonicNowNsUnsigned);

        Assert.True(snapshot.Caches.Single(c => c.Name == SocketInodes).Allocs >= 2_000);
        Assert.True(snapshot.Outstanding.Sum(g => g.Count) <= 16);
        Assert.True(tracer.AttributionFull > 1_000, $"{tracer.AttributionFull} refused samples");
    }

    [KernelFact]
    public void BadOptionsAreOneClearSentence()
    {
        var sample = TracerProcess.Run("slab", "--sample", "0");
        Assert.Equal(1, sample.ExitCode);
        Assert.Equal("tracer: --sample 0: give a positive N (1 samples every allocation)\n", sample.Stderr);

        var interval = TracerProcess.Run("slab", "--interval", "0.05");
        Assert.Equal(1, interval.ExitCode);
        Assert.StartsWith("tracer: --interval 0.05: give at least 0.1 seconds", interval.Stderr);
    }

    [KernelFact]
    public void JsonLinesAreSlabFindings()
    {
        var result = TracerProcess.Run("slab", "--json", "--duration", "2.5", "--interval", "0.5", "--top", "3");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var json = System.Text.Json.JsonDocument.Parse(line);
            Assert.StartsWith("slab.", json.RootElement.GetProperty("kind").GetString());
        }
    }

    [KernelFact]
    public void DoctorReportsEverySlabHook()
    {
        var result = TracerProcess.Run("doctor");
        Assert.True(result.ExitCode == 0, result.Stderr);
        foreach (var hook in new[] { "slab alloc (kmem_cache_alloc): tp_btf/kmem_cache_alloc", "slab free (kmem_cache_free): tp_btf/kmem_cache_free",
                     "slab alloc (kmalloc): tp_btf/kmalloc", "slab free (kfree): tp_btf/kfree", "oom victim (mark_victim): tp_btf/mark_victim" })
        {
            Assert.Contains(hook, result.Stdout);
        }

        var classic = TracerProcess.Run("doctor", "--attach", "tracepoint");
        Assert.Contains("slab alloc (kmem_cache_alloc): tracepoint/kmem/kmem_cache_alloc (tp_btf/kmem_cache_alloc: not tried", classic.Stdout);
        Assert.Contains("note: slab: classic tracepoints: caches are keyed by name", classic.Stdout);
    }

    private sealed class Holders(List<SlabWorkload> holders) : IDisposable
    {
        public void Dispose() => holders.ForEach(h => h.Dispose());
    }

    private sealed class Collector : ISlabFindingSink
    {
        public List<SlabGrowthFinding> Growth { get; } = [];

        public List<SlabLeakSuspectFinding> Suspects { get; } = [];

        public void Emit(SlabFinding finding)
        {
            switch (finding)
            {
                case SlabGrowthFinding g:
                    Growth.Add(g);
                    break;
                case SlabLeakSuspectFinding s:
                    Suspects.Add(s);
                    break;
            }
        }
    }
}
