namespace Tracer.Analysis.Findings;

/// <summary>What a kind of finding is about.</summary>
public enum FindingSubject : byte
{
    Connection = 0,
    Cache = 1,
    Process = 2,

    /// <summary>The tracer itself: its load, its own switches.</summary>
    Tracer = 3,

    /// <summary>A listening socket and the process that owned it.</summary>
    Listener = 4,

    /// <summary>A local port: what happened on it over an interval.</summary>
    Port = 5,
}

/// <summary>
/// A kind of finding: its stable name and what it is about. Every kind is one of the
/// instances below, so sinks compare references, never strings.
/// </summary>
public sealed class FindingKind
{
    private static readonly List<FindingKind> Declared = [];

    public static readonly FindingKind Wl1Lag = new("tcp.wl1_lag", FindingSubject.Connection);
    public static readonly FindingKind WindowUpdateIgnored = new("tcp.window_update_ignored", FindingSubject.Connection);
    public static readonly FindingKind ZeroWindowStart = new("tcp.zero_window.start", FindingSubject.Connection);
    public static readonly FindingKind ZeroWindowEnd = new("tcp.zero_window.end", FindingSubject.Connection);
    public static readonly FindingKind ZeroWindowOpen = new("tcp.zero_window.open", FindingSubject.Connection);
    public static readonly FindingKind Stuck = new("tcp.stuck", FindingSubject.Connection);
    public static readonly FindingKind ListenerReset = new("tcp.listener_reset", FindingSubject.Listener);
    public static readonly FindingKind Resets = new("tcp.resets", FindingSubject.Port);
    public static readonly FindingKind SlabGrowth = new("slab.growth", FindingSubject.Cache);
    public static readonly FindingKind SlabLeakSuspect = new("slab.leak_suspect", FindingSubject.Cache);
    public static readonly FindingKind SlabOom = new("slab.oom", FindingSubject.Process);
    public static readonly FindingKind OverheadStepDown = new("tracer.overhead_step_down", FindingSubject.Tracer);
    public static readonly FindingKind OverheadStepUp = new("tracer.overhead_step_up", FindingSubject.Tracer);
    public static readonly FindingKind SlabAttributionOn = new("tracer.slab_attribution_on", FindingSubject.Tracer);
    public static readonly FindingKind SlabAttributionOff = new("tracer.slab_attribution_off", FindingSubject.Tracer);
    public static readonly FindingKind SlabAttributionFull = new("tracer.slab_attribution_full", FindingSubject.Tracer);
    public static readonly FindingKind Drops = new("tracer.drops", FindingSubject.Tracer);

    private FindingKind(string name, FindingSubject subject)
    {
        Name = name;
        Subject = subject;
        SubjectName = subject.ToString().ToLowerInvariant();
        Declared.Add(this);
    }

    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<FindingKind> All => Declared;

    /// <summary>The stable, machine-readable name: <c>kind</c> in JSON, <c>tracer.finding.kind</c> in OpenTelemetry.</summary>
    public string Name { get; }

    public FindingSubject Subject { get; }

    /// <summary>The subject as renderers spell it: <c>connection</c>, <c>cache</c>, <c>process</c>, <c>tracer</c>.</summary>
    public string SubjectName { get; }

    public override string ToString() => Name;
}
