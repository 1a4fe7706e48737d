using Tracer.Analysis.Findings;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Resets;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

/// <summary>One finding of every kind, with every optional field known: what renderers are checked against.</summary>
internal static class FindingExamples
{
    private static readonly StackShare Stack = new("__sys_socket → sock_alloc_inode", ["__sys_socket", "sock_alloc_inode"], 180_000, 180_000 * 624, [("hrrb", 120_000L)]);

    private static readonly ProcessIdentity Leaker = new(4242, "hrrb", default);

    private static readonly ListenerInfo Server = new(1001, System.Net.Sockets.AddressFamily.InterNetworkV6, 80, 100, "nginx", "nginx: master process", 5, 0xffff8881);
    private static readonly ListenerInfo Ghost = new(1002, System.Net.Sockets.AddressFamily.InterNetworkV6, 80, 4242, "nginx", "nginx -t", 7, 0xffff8881);
    private static readonly RstReason RstReasonExample = RstReason.TcpFlags;
    private static readonly EpisodeSummary Episode = new(1_000, 2_500_000_000, false, 2, 3, [0UL, 4096UL], 4096, 1);

    public static IReadOnlyList<Finding> All { get; } =
    [
        new Wl1LagFinding(9, 7, 4711, "rsync", Samples.Endpoints, Severity.Critical, 1UL << 31, 1UL << 31, 1708927328, 1253278418, 1253278418, -455648910),
        new WindowUpdateIgnoredFinding(9, 7, 4711, "rsync", Samples.Endpoints, 1253278418, 1708927328, 4212361596, 4212361596, 13831, 7, 13831UL << 7, 0, 3_840_000_000, -455648910, IgnoreCause.Wl1Wrapped) { LostSamples = 2 },
        new ZeroWindowStartFinding(9, 7, 4711, "rsync", Samples.Endpoints, ZeroWindowTrigger.WindowClosed, 5, false, 1000, 2000, 392827),
        new ZeroWindowEndFinding(9, 7, 4711, "rsync", Samples.Endpoints, Episode, 4096),
        new ZeroWindowOpenFinding(9, 7, 4711, "rsync", Samples.Endpoints, Episode, true, TrackingEnd.EndOfTrace),
        new StuckFinding(9, 7, 4711, "rsync", Samples.Endpoints, 5, 4, false, 1253278418, 1708927328, 4212361596, 4212361596, 13831, 7, 13831UL << 7, 392827, 3_840_000_000, -455648910, IgnoreCause.Wl1Wrapped),
        new SlabGrowthFinding(9, "sock_inode_cache", 1_000_000_000, 50, 50 * 624, NetSource.Kernel, 60, 10, 48, 25_842_956, 40, [Stack], 2) { Allocator = Leaker },
        new SlabLeakSuspectFinding(9, "sock_inode_cache", 15_000_000_000, 750, 750 * 624, 7_000_000_000, 470, [Stack]) { Allocator = Leaker },
        new SlabOomFinding(9, 23713, "nginx", 33, 1UL << 30, 23254, "apache2", 25_842_956, [new CacheSize("sock_inode_cache", 1000, 624_000)], ["sock_inode_cache"]),
        new OverheadStepFinding(9, DetailLevel.Full, DetailLevel.Verdict, 25_000, 3, 20_000),
        new OverheadStepFinding(9, DetailLevel.Verdict, DetailLevel.Full, 100, 0, 20_000),
        new SlabAttributionFinding(9, true, ["sock_inode_cache"], TimeSpan.FromMinutes(2)),
        new SlabAttributionFinding(9, false, [], TimeSpan.FromMinutes(2)),
        new SlabAttributionFullFinding(9, 12, 40, 64),
        new DropsFinding(9, 5, new LoadState(100, 0, [3UL, 2UL], DetailLevel.Full)),
        new ListenerResetFinding(9, Ghost, 4242, "nginx", 3, 1, 3, 1, 1_200_000_000, 0, [Server, Ghost], true, [Server]),
        new ResetsFinding(9, 80, RstReasonExample, 4, 10_000_000_000, Samples.Endpoints),
    ];

    /// <summary>The JSON and attribute names a finding declares, in order; the connection's identity as one entry.</summary>
    public static List<FindingField> Declared(Finding finding)
    {
        var names = new DeclaredNames();
        finding.Describe(names);
        return names.Fields;
    }

    private sealed class DeclaredNames : IFindingFields
    {
        public List<FindingField> Fields { get; } = [];

        public void Connection(in ConnectionIdentity connection) => Fields.Add(new FindingField("cookie", "tracer.tcp.cookie"));

        public void Process(in ProcessIdentity process) => Fields.Add(new FindingField("pid", "process.pid"));

        public void Add(FindingField field, long value) => Fields.Add(field);

        public void Add(FindingField field, ulong value) => Fields.Add(field);

        public void Add(FindingField field, double value) => Fields.Add(field);

        public void Add(FindingField field, bool value) => Fields.Add(field);

        public void Add(FindingField field, string value) => Fields.Add(field);

        public void Add(FindingField field, long? value) => Fields.Add(field);

        public void Add(FindingField field, double? value) => Fields.Add(field);

        public void Add(FindingField field, TimeSpan value) => Fields.Add(field);

        public void Add(FindingField field, Kilobytes? value) => Fields.Add(field);

        public void Add(FindingField field, IReadOnlyList<ulong> values) => Fields.Add(field);

        public void Add(FindingField field, IReadOnlyList<string> values) => Fields.Add(field);

        public void Add(FindingField field, IReadOnlyList<StackShare> stacks) => Fields.Add(field);

        public void Add(FindingField field, IReadOnlyList<CacheSize> caches) => Fields.Add(field);
    }
}
