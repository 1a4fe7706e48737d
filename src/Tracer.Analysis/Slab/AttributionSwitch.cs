namespace Tracer.Analysis.Slab;

public sealed record AttributionOptions
{
    /// <summary>How long no cache may show sustained growth before the per-object hooks come off again.</summary>
    public TimeSpan CalmBeforeDetach { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Overhead control for always-on slab tracking. Counting every allocation and free in the kernel costs
/// every one of them a BPF dispatch; growth itself shows in /proc/slabinfo for free. So the
/// per-object hooks (exact counts, sampled attribution) are on only while some cache grows in a
/// sustained way, which is when someone needs to know who holds the objects; they come off once
/// no cache has grown for <see cref="AttributionOptions.CalmBeforeDetach"/>. Pure: the caller attaches and detaches.
/// </summary>
public sealed class AttributionSwitch(AttributionOptions? options = null)
{
    private readonly AttributionOptions options = options ?? new AttributionOptions();
    private ulong? calmSinceNs;
    private bool refused;

    public bool On { get; private set; }

    /// <summary>Takes the caches growing now; returns the finding to report when <see cref="On"/> changed.</summary>
    public SlabAttributionFinding? Observe(ulong nowNs, IReadOnlyList<string> growingCaches)
    {
        ArgumentNullException.ThrowIfNull(growingCaches);
        if (refused)
        {
            return null;
        }

        if (growingCaches.Count > 0)
        {
            calmSinceNs = null;
            return On ? null : Switch(nowNs, on: true, growingCaches);
        }

        if (!On)
        {
            return null;
        }

        calmSinceNs ??= nowNs;
        return nowNs - calmSinceNs.Value >= (ulong)options.CalmBeforeDetach.Ticks * 100
            ? Switch(nowNs, on: false, growingCaches)
            : null;
    }

    /// <summary>The caller could not make <paramref name="step"/> (the kernel refused the hooks): stay as before, and stop switching.</summary>
    public void Refused(SlabAttributionFinding step)
    {
        ArgumentNullException.ThrowIfNull(step);
        On = !step.On;
        refused = true;
    }

    private SlabAttributionFinding Switch(ulong nowNs, bool on, IReadOnlyList<string> caches)
    {
        On = on;
        calmSinceNs = null;
        return new SlabAttributionFinding(nowNs, on, caches, options.CalmBeforeDetach);
    }
}
