using Microsoft.Extensions.Logging;
using Tracer.Analysis.Slab;
using Tracer.Bpf;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Slab;
using Tracer.Interop;

namespace Tracer.Pipeline.Sources;

/// <summary>When the per-object slab hooks are attached (<c>run --slab-attribution</c>).</summary>
public enum SlabAttribution
{
    /// <summary>Caches are watched through /proc/slabinfo; the hooks attach only while one keeps growing.</summary>
    OnGrowth,

    /// <summary>From the start: every allocation and free counted in the kernel, one in N sampled with its stack.</summary>
    Always,
}

/// <summary>
/// Slab intervals and OOM kills from the kernel. The per-object hooks can be attached and
/// detached while it runs (<see cref="Switch"/>): the new tracer is attached before the old one
/// goes, so no OOM kill falls between them.
/// </summary>
public sealed class SlabSource : IDisposable
{
    private readonly BpfSettings settings;
    private readonly SlabTraceOptions options;
    private readonly ILogger logger;
    private SlabTracer tracer;
    private WaitSet? waits;

    private SlabSource(BpfSettings settings, SlabTraceOptions options, SlabAttribution attribution, SlabTracer tracer, ILogger logger)
    {
        this.settings = settings;
        this.options = options;
        this.tracer = tracer;
        this.logger = logger;
        Attribution = attribution;
    }

    public SlabAttribution Attribution { get; }

    /// <summary>Whether the per-object hooks are attached now.</summary>
    public bool PerObject => tracer.PerObject;

    /// <summary>Sampled allocations the attribution table had no room for, since the hooks were attached.</summary>
    public ulong AttributionFull => tracer.AttributionFull;

    public uint SampleEvery => options.SampleEvery;

    /// <summary>Each hook attached now and its attach method.</summary>
    public IReadOnlyList<HookChoice> Choices => tracer.Choices;

    /// <param name="options">Sampling; <see cref="SlabTraceOptions.PerObject"/> is set from <paramref name="attribution"/>.</param>
    public static SlabSource Start(BpfSettings settings, SlabTraceOptions options, SlabAttribution attribution, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tracer = Load(settings, options with { PerObject = attribution == SlabAttribution.Always }, logger);
        foreach (var note in SlabComponent.ReducedModes(tracer.Choices))
        {
            logger.LogDebug("{Note}", note);
        }

        return new SlabSource(settings, options, attribution, tracer, logger);
    }

    /// <summary>As <see cref="Start"/>, or null with a warning saying why the kernel refused: the TCP side goes on without slab tracking.</summary>
    public static SlabSource? TryStart(BpfSettings settings, SlabTraceOptions options, SlabAttribution attribution, ILogger logger)
    {
        try
        {
            return Start(settings, options, attribution, logger);
        }
        catch (Exception e) when (e is BpfException or HookUnavailableException or NotSupportedException)
        {
            logger.LogWarning("slab tracking is off: {Reason}", e.Message);
            return null;
        }
    }

    /// <summary>Adds the descriptor that becomes readable on an OOM kill (again whenever the per-object hooks are switched).</summary>
    public void WaitOn(WaitSet waits)
    {
        ArgumentNullException.ThrowIfNull(waits);
        this.waits = waits;
        waits.Add(tracer.OomWaitFd, "OOM events");
    }

    /// <summary>Hands every OOM kill recorded to <paramref name="handler"/>, without waiting.</summary>
    public void PollOom(Action<OomVictim> handler) => tracer.PollOom(0, handler);

    /// <summary>The kernel's per-cache counters, the sampled outstanding objects, /proc/slabinfo and SUnreclaim, now.</summary>
    public SlabInterval Snapshot(ulong nowNs) => tracer.Snapshot(nowNs);

    /// <summary>Attaches (<paramref name="perObject"/>) or detaches the per-object hooks; false, with a warning, when the kernel refused.</summary>
    public bool Switch(bool perObject)
    {
        SlabTracer next;
        try
        {
            next = Load(settings, options with { PerObject = perObject }, logger);
        }
        catch (Exception e) when (e is BpfException or HookUnavailableException or NotSupportedException)
        {
            logger.LogWarning("slab attribution stays {State}: switching it {Wanted} failed: {Reason}",
                perObject ? "off" : "on", perObject ? "on" : "off", e.Message);
            return false;
        }

        // the old tracer's descriptor leaves the wait set as it closes
        tracer.Dispose();
        tracer = next;
        waits?.Add(tracer.OomWaitFd, "OOM events");
        return true;
    }

    public void Dispose() => tracer.Dispose();

    private static SlabTracer Load(BpfSettings settings, SlabTraceOptions options, ILogger logger)
    {
        var tracer = SlabTracer.Start(settings, options, logger);
        foreach (var choice in tracer.Choices)
        {
            logger.LogDebug("{Choice}", choice);
        }

        return tracer;
    }
}
