using Tracer.Analysis.Findings;
using Tracer.Analysis.Slab;

namespace Tracer.Telemetry.Tests;

public sealed class SlabGaugesTests
{
    [Fact]
    public void ListedCachesCarryTheirSizeAndRateCachesOnlyTheKernelCountsTheirRateAndEmptyStillCachesAreLeftOut()
    {
        var analyzer = new SlabGrowthAnalyzer(new Discard());
        analyzer.Observe(Interval(1, dentry: 100, merged: 10));
        var latest = Interval(3, dentry: 140, merged: 30);
        analyzer.Observe(latest);

        var gauges = SlabGauges.From(latest, analyzer).OrderBy(g => g.Cache, StringComparer.Ordinal).ToList();

        Assert.Equal(
            [
                new SlabCacheGauge("dentry", 140, 140 * 192, 20, 20 * 192),
                new SlabCacheGauge("merged", null, null, 10, 10 * 64),
            ],
            gauges);
    }

    private static SlabInterval Interval(int second, long dentry, ulong merged) => new(
        (ulong)second * 1_000_000_000,
        [new SlabCacheCounters("merged", 64, merged, 0, merged * 64)],
        new Dictionary<string, SlabinfoEntry>(StringComparer.Ordinal)
        {
            ["dentry"] = new("dentry", dentry, 192),
            ["empty"] = new("empty", 0, 32),
        },
        SUnreclaimKb: null,
        Outstanding: [],
        SampleEvery: 64);

    private sealed class Discard : IFindingSink
    {
        public void Emit(Finding finding)
        {
        }
    }
}
