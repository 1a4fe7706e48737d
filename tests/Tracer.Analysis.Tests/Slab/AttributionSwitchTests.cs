using Tracer.Analysis.Findings;
using Tracer.Analysis.Slab;

namespace Tracer.Analysis.Tests.Slab;

public sealed class AttributionSwitchTests
{
    private const ulong Second = 1_000_000_000;
    private static readonly AttributionOptions Calm = new() { CalmBeforeDetach = TimeSpan.FromSeconds(60) };

    [Fact]
    public void StaysOffWhileNoCacheGrows()
    {
        var attribution = new AttributionSwitch(Calm);

        var steps = Enumerable.Range(1, 300).Select(s => attribution.Observe((ulong)s * Second, [])).ToList();

        Assert.All(steps, Assert.Null);
        Assert.False(attribution.On);
    }

    [Fact]
    public void SustainedGrowthTurnsItOnAndNamesTheCaches()
    {
        var attribution = new AttributionSwitch(Calm);

        var step = attribution.Observe(5 * Second, ["kmalloc-8", "sock_inode_cache"]);

        Assert.True(attribution.On);
        Assert.NotNull(step);
        Assert.Equal(FindingKind.SlabAttributionOn, step.Kind);
        Assert.Equal(Severity.Info, step.Severity);
        Assert.Equal(["kmalloc-8", "sock_inode_cache"], step.Caches);
        Assert.StartsWith("sustained growth in kmalloc-8, sock_inode_cache: counting every allocation", step.Message, StringComparison.Ordinal);
        Assert.Null(attribution.Observe(6 * Second, ["sock_inode_cache"]));
    }

    [Fact]
    public void ItComesOffOnlyAfterTheCalmAndGrowthRestartsTheCalm()
    {
        var attribution = new AttributionSwitch(Calm);
        attribution.Observe(0, ["sock_inode_cache"]);

        Assert.Null(attribution.Observe(10 * Second, []));
        Assert.Null(attribution.Observe(65 * Second, ["sock_inode_cache"]));
        Assert.Null(attribution.Observe(70 * Second, []));
        Assert.Null(attribution.Observe(129 * Second, []));
        var off = attribution.Observe(130 * Second, []);

        Assert.NotNull(off);
        Assert.False(attribution.On);
        Assert.Equal(FindingKind.SlabAttributionOff, off.Kind);
        Assert.Equal("no cache has grown for 1m00s: per-object hooks detached, growth is watched in /proc/slabinfo", off.Message);
        Assert.NotNull(attribution.Observe(131 * Second, ["dentry"]));
    }

    [Fact]
    public void ARefusedSwitchLeavesItAsItWasAndStopsSwitching()
    {
        var attribution = new AttributionSwitch(Calm);
        var on = attribution.Observe(Second, ["sock_inode_cache"])!;

        attribution.Refused(on);

        Assert.False(attribution.On);
        Assert.Null(attribution.Observe(2 * Second, ["sock_inode_cache"]));
        Assert.Null(attribution.Observe(500 * Second, []));
    }
}
