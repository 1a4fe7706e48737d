using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Overhead;

/// <summary>How much the kernel side sends; mirrors <c>enum tcp_detail</c>.</summary>
public enum DetailLevel : uint
{
    /// <summary>Every change: first sight, probes, heartbeats and the verdict events.</summary>
    Full = 0,

    /// <summary>Only what a verdict rests on: zero-window transitions, ignored updates, wl1 lag steps.</summary>
    Verdict = 1,
}

public sealed record OverheadOptions
{
    /// <summary>Samples per second the always-on mode may cost; above it, or on any drop, it steps down. 0: never.</summary>
    public double SampleBudgetPerSecond { get; init; } = 20_000;

    /// <summary>How long the offered load must stay under half the budget, without drops, before stepping back up.</summary>
    public TimeSpan CalmBeforeStepUp { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>The kernel side's load as the live loop reads it: running totals.</summary>
/// <param name="Samples">Samples delivered.</param>
/// <param name="Suppressed">Samples the kernel counted instead of sending (under <see cref="DetailLevel.Verdict"/>).</param>
/// <param name="DroppedPerCpu">Samples the buffer had no room for, per CPU.</param>
/// <param name="Level">The detail level in force.</param>
public sealed record LoadState(ulong Samples, ulong Suppressed, IReadOnlyList<ulong> DroppedPerCpu, DetailLevel Level)
{
    public static LoadState Empty { get; } = new(0, 0, [], DetailLevel.Full);

    public ulong Dropped => DroppedPerCpu.Aggregate(0UL, (sum, n) => sum + n);

    /// <summary>The drops per CPU as people read them: "cpu0 12, cpu1 0".</summary>
    public string DroppedByCpu => string.Join(", ", DroppedPerCpu.Select((n, cpu) => $"cpu{cpu} {n}"));
}

/// <summary>
/// Overhead control for the always-on mode: steps the kernel side down to
/// <see cref="DetailLevel.Verdict"/> when the offered sample rate passes the budget or
/// samples are dropped, and back up once the load has stayed low. Each step is a
/// finding. Pure: the caller applies <see cref="Level"/> to the kernel.
/// </summary>
public sealed class OverheadGovernor(IFindingSink sink, OverheadOptions options)
{
    private LoadState? previous;
    private ulong previousNs;
    private ulong? calmSinceNs;

    public DetailLevel Level { get; private set; } = DetailLevel.Full;

    /// <summary>Takes the totals read at <paramref name="nowNs"/>; returns true when <see cref="Level"/> changed.</summary>
    public bool Observe(ulong nowNs, LoadState load)
    {
        ArgumentNullException.ThrowIfNull(load);
        if (previous is null || nowNs <= previousNs || options.SampleBudgetPerSecond <= 0)
        {
            (previous, previousNs) = (load, nowNs);
            return false;
        }

        var seconds = (nowNs - previousNs) / 1e9;
        // what FULL would have sent: under VERDICT the kernel counts what it holds back
        var offered = (Delta(load.Samples, previous.Samples) + Delta(load.Suppressed, previous.Suppressed)) / seconds;
        var dropped = Delta(load.Dropped, previous.Dropped);
        (previous, previousNs) = (load, nowNs);

        var budget = options.SampleBudgetPerSecond;
        if (Level == DetailLevel.Full)
        {
            if (offered <= budget && dropped == 0)
            {
                return false;
            }

            return Step(nowNs, DetailLevel.Verdict, offered, dropped);
        }

        if (offered >= budget / 2 || dropped > 0)
        {
            calmSinceNs = null;
            return false;
        }

        calmSinceNs ??= nowNs;
        return nowNs - calmSinceNs.Value >= (ulong)options.CalmBeforeStepUp.Ticks * 100
            && Step(nowNs, DetailLevel.Full, offered, dropped);
    }

    private bool Step(ulong nowNs, DetailLevel to, double offered, ulong dropped)
    {
        sink.Emit(new OverheadStepFinding(nowNs, Level, to, offered, dropped, options.SampleBudgetPerSecond));
        Level = to;
        calmSinceNs = null;
        return true;
    }

    private static ulong Delta(ulong now, ulong before) => now >= before ? now - before : 0;
}
