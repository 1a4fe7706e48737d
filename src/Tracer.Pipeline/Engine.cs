using Microsoft.Extensions.Logging;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Resets;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tcp;
using Tracer.Bpf.Slab;
using Tracer.Interop;
using Tracer.Pipeline.Sources;

namespace Tracer.Pipeline;

public sealed record EngineOptions
{
    /// <summary>How often, on the source's clock, the analyzers are ticked, the load read, the slab interval taken and the sinks' state refreshed.</summary>
    public TimeSpan Housekeeping { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often, at housekeeping, the slab interval is taken; null: at every housekeeping.</summary>
    public TimeSpan? SlabInterval { get; init; }

    /// <summary>
    /// The longest records may wait in the kernel's buffers before the engine reads them when no
    /// program woke it (the TCP and reset programs wake the reader only for urgent records and a
    /// quarter-full buffer); null: until the next housekeeping. A live view wants it short; the
    /// always-on mode wakes as seldom as it can.
    /// </summary>
    public TimeSpan? ReadDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TcpWindowAnalyzerOptions TcpAnalysis { get; init; } = new();

    public SlabAnalyzerOptions SlabAnalysis { get; init; } = new();

    public ResetAnalyzerOptions ResetAnalysis { get; init; } = new();

    /// <summary>Overhead control of the always-on mode; null: the kernel sends full detail throughout.</summary>
    public OverheadOptions? Overhead { get; init; }

    /// <summary>
    /// The container and pod of a connection finding's owner, looked up when the finding is made;
    /// null leaves them unknown (a replay: the processes are not this machine's).
    /// </summary>
    public Func<int, ContainerIdentity>? ContainerOf { get; init; }

    /// <summary>Ends the trace early when true, checked after every read of the sources (attach: every connection judged).</summary>
    public Func<bool>? Done { get; init; }
}

/// <summary>What the engine reads from; any of them may be absent, not all.</summary>
public sealed record EngineSources(ITcpSampleSource? Tcp = null, SlabSource? Slab = null, ResetSource? Resets = null);

/// <param name="Samples">TCP samples the analysis saw.</param>
/// <param name="Stuck">Stuck verdicts (<see cref="FindingKind.Stuck"/>) among the findings.</param>
/// <param name="ShortZeroWindows">Zero-window episodes that ended before they were worth reporting.</param>
public sealed record EngineResult(ulong Samples, LoadState Load, int Stuck, long ShortZeroWindows);

/// <summary>
/// The one loop of the tool: samples from a source → the analyzers → findings → the sinks,
/// until the stop signal, the source's end, or <see cref="EngineOptions.Done"/>. Live tracing and
/// replay run it alike; only the source differs. Open zero-window episodes are reported at the end,
/// also when a source fails midway, so nothing already seen is lost.
/// </summary>
public sealed class Engine(EngineOptions options, IFindingSink sink, ILogger logger)
{
    private readonly Tally tally = new(sink, options.ContainerOf);
    private TcpWindowAnalyzer? tcpAnalyzer;
    private SlabGrowthAnalyzer? slabAnalyzer;
    private ResetAnalyzer? resetAnalyzer;
    private OverheadGovernor? governor;
    private AttributionSwitch? attribution;
    private SlabState? slabState;
    private LoadState load = LoadState.Empty;
    private ulong samples;
    private ulong reportedDrops;
    private ulong reportedFull;
    private ulong slabPeriodNs;
    private ulong nextSlabNs;

    public EngineResult Run(ITcpSampleSource? tcp, SlabSource? slab, StopSignal stop) => Run(new EngineSources(tcp, slab), stop);

    public EngineResult Run(EngineSources sources, StopSignal stop)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(stop);
        var (tcp, slab, resets) = sources;
        if (tcp is null && slab is null && resets is null)
        {
            throw new ArgumentException("the engine needs a TCP, a slab or a reset source");
        }

        tcpAnalyzer = tcp is null ? null : new TcpWindowAnalyzer(tally, options.TcpAnalysis);
        governor = tcp is null || options.Overhead is null ? null : new OverheadGovernor(tally, options.Overhead);
        if (slab is not null)
        {
            slabAnalyzer = new SlabGrowthAnalyzer(tally, options.SlabAnalysis);
            attribution = slab.Attribution == SlabAttribution.OnGrowth ? new AttributionSwitch() : null;
            ObserveSlab(slab, Clock.MonotonicNowNsUnsigned);
        }

        if (resets is not null)
        {
            resetAnalyzer = new ResetAnalyzer(tally, options.ResetAnalysis);
            foreach (var listener in resets.Existing())
            {
                resetAnalyzer.Observe(listener);
            }
        }

        ulong Now() => tcp?.NowNs ?? Clock.MonotonicNowNsUnsigned;
        slabPeriodNs = (ulong)(options.SlabInterval ?? TimeSpan.Zero).Ticks * TimeSpan.NanosecondsPerTick;
        nextSlabNs = Now() + slabPeriodNs;
        if (tcp is not null)
        {
            // the overhead control's baseline: a burst within the first period counts
            load = tcp.Load(0);
            governor?.Observe(Now(), load);
        }

        // the loop sleeps until a source's program wakes it, housekeeping is due, the read delay
        // passed or a stop is requested: an idle always-on trace wakes once per housekeeping
        using var waits = new WaitSet();
        using var wakeOnStop = stop.WakeOn(waits);
        var waitable = tcp?.WaitOn(waits) ?? true;
        resets?.WaitOn(waits);
        slab?.WaitOn(waits);
        var readDelayMs = options.ReadDelay is { } delay ? (int)Math.Ceiling(delay.TotalMilliseconds) : int.MaxValue;
        var periodNs = (ulong)options.Housekeeping.Ticks * TimeSpan.NanosecondsPerTick;
        var nextHousekeeping = Now() + periodNs;
        try
        {
            while (true)
            {
                var more = tcp?.Poll(OnSample) ?? true;
                resets?.Poll(resetAnalyzer!.Observe);
                slab?.PollOom(OnOom);
                var now = Now();
                if (now >= nextHousekeeping)
                {
                    nextHousekeeping = now + periodNs;
                    Housekeeping(tcp, slab, now, last: false);
                }

                if (!more || stop.IsStopRequested || options.Done?.Invoke() == true)
                {
                    break;
                }

                if (waitable)
                {
                    var untilHousekeepingMs = (int)Math.Min(int.MaxValue, (nextHousekeeping - Math.Min(nextHousekeeping, Now()) + 999_999) / 1_000_000);
                    waits.Wait(stop.PollTimeoutMs(Math.Min(readDelayMs, untilHousekeepingMs)));
                }
            }

            // what the kernel queued before detaching
            tcp?.Drain(OnSample);
            resets?.Poll(resetAnalyzer!.Observe);
            slab?.PollOom(OnOom);
        }
        finally
        {
            tcpAnalyzer?.Flush(Now());
            resetAnalyzer?.Flush(Now());
        }

        Housekeeping(tcp, slab, Now(), last: true);
        if (tcpAnalyzer is not null)
        {
            logger.LogInformation("{Samples} samples, {Dropped} dropped ({PerCpu}), {Suppressed} suppressed, {Short} zero-window blips under the report threshold",
                samples, load.Dropped, load.DroppedByCpu, load.Suppressed, tcpAnalyzer.ShortEpisodes);
        }

        return new EngineResult(samples, load, tally.Stuck, tcpAnalyzer?.ShortEpisodes ?? 0);

        void OnSample(in TcpSample sample)
        {
            samples++;
            tally.Sample(sample);
            tcpAnalyzer!.Observe(sample);
            tally.Analyzed(sample, tcpAnalyzer);
        }

        void OnOom(OomVictim victim) => tally.Emit(slabAnalyzer!.Oom(victim, slab!.Snapshot(Clock.MonotonicNowNsUnsigned)));
    }

    /// <param name="last">The one after the loop: the slab interval is taken whenever the previous was.</param>
    private void Housekeeping(ITcpSampleSource? tcp, SlabSource? slab, ulong nowNs, bool last)
    {
        if (tcp is not null)
        {
            tcpAnalyzer!.Tick(nowNs);
            tcpAnalyzer.ExpireIdle(nowNs);
            load = tcp.Load(samples);
            if (governor?.Observe(nowNs, load) == true)
            {
                tcp.Detail = governor.Level;
                load = load with { Level = governor.Level };
            }

            if (load.Dropped > reportedDrops)
            {
                tally.Emit(new DropsFinding(nowNs, load.Dropped - reportedDrops, load));
                reportedDrops = load.Dropped;
            }
        }

        resetAnalyzer?.Tick(nowNs);
        if (slab is not null && (last || nowNs >= nextSlabNs))
        {
            // OOM kills are polled with the other sources on every turn of the loop
            nextSlabNs = nowNs + slabPeriodNs;
            ObserveSlab(slab, Clock.MonotonicNowNsUnsigned);
        }

        tally.Tick(new TraceState(nowNs, samples, load, tcpAnalyzer, slabState));
    }

    private void ObserveSlab(SlabSource slab, ulong nowNs)
    {
        var interval = slab.Snapshot(nowNs);
        slabAnalyzer!.Observe(interval);
        if (attribution?.Observe(nowNs, slabAnalyzer.GrowingCaches) is { } step)
        {
            if (slab.Switch(step.On))
            {
                reportedFull = 0;
                tally.Emit(step);
            }
            else
            {
                attribution.Refused(step);
            }
        }

        var full = slab.AttributionFull;
        if (full > reportedFull)
        {
            tally.Emit(new SlabAttributionFullFinding(nowNs, full - reportedFull, full, slab.SampleEvery));
            reportedFull = full;
        }

        slabState = new SlabState(slabAnalyzer, interval, slab.PerObject, full);
    }

    /// <summary>
    /// Counts the stuck verdicts on their way to the sinks (they decide a command's exit status)
    /// and names the container and pod of each finding's owner (a connection's, a leak's main allocator).
    /// </summary>
    private sealed class Tally(IFindingSink sink, Func<int, ContainerIdentity>? containerOf) : IFindingSink
    {
        public int Stuck { get; private set; }

        public void Emit(Finding finding)
        {
            if (finding.Kind == FindingKind.Stuck)
            {
                Stuck++;
            }

            if (containerOf is not null && finding.OwnerPid > 0 && containerOf(finding.OwnerPid) is { IsKnown: true } container)
            {
                finding = finding with { Container = container };
            }

            sink.Emit(finding);
        }

        public void Sample(in TcpSample sample) => sink.Sample(sample);

        public void Analyzed(in TcpSample sample, TcpWindowAnalyzer analyzer) => sink.Analyzed(sample, analyzer);

        public void Tick(TraceState state) => sink.Tick(state);
    }
}
