using Tracer.Analysis.Slab;

namespace Tracer.Telemetry;

/// <summary>Per-cache gauge values from the latest slab interval and the analyzer's growth rates; empty, still caches are left out.</summary>
public static class SlabGauges
{
    public static IReadOnlyList<SlabCacheGauge> From(SlabInterval latest, SlabGrowthAnalyzer growth)
    {
        ArgumentNullException.ThrowIfNull(latest);
        ArgumentNullException.ThrowIfNull(growth);
        var gauges = new List<SlabCacheGauge>(latest.Slabinfo.Count);
        foreach (var (name, entry) in latest.Slabinfo)
        {
            growth.TryGetRate(name, out var rate);
            if (entry.ActiveObjects == 0 && rate.ObjectsPerSecond == 0)
            {
                continue;
            }

            gauges.Add(new SlabCacheGauge(name, entry.ActiveObjects, entry.ActiveObjects * entry.ObjectSize, rate.ObjectsPerSecond, rate.BytesPerSecond));
        }

        // caches the kernel counts that /proc/slabinfo does not list (merged caches): rates only
        foreach (var rate in growth.Rates)
        {
            if (!latest.Slabinfo.ContainsKey(rate.Name))
            {
                gauges.Add(new SlabCacheGauge(rate.Name, rate.ActiveObjects, null, rate.ObjectsPerSecond, rate.BytesPerSecond));
            }
        }

        return gauges;
    }
}
