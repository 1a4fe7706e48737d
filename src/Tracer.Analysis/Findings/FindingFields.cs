using Tracer.Analysis.Slab;

namespace Tracer.Analysis.Findings;

/// <summary>A field of a finding, named once for every renderer: its JSON name and its OpenTelemetry attribute name.</summary>
public sealed record FindingField(string Json, string Attribute)
{
    public override string ToString() => Json;
}

/// <summary>
/// Takes a finding's fields as <see cref="Finding.Describe"/> declares them. Each renderer
/// (JSON, OpenTelemetry attributes) implements it; a nullable value that is null means
/// "not known" (JSON null, no attribute).
/// </summary>
public interface IFindingFields
{
    void Connection(in ConnectionIdentity connection);

    /// <summary>The process a finding that is not about a connection names (pid, comm, container, pod), as a connection's owner is written.</summary>
    void Process(in ProcessIdentity process);

    void Add(FindingField field, long value);

    void Add(FindingField field, ulong value);

    void Add(FindingField field, double value);

    void Add(FindingField field, bool value);

    void Add(FindingField field, string value);

    void Add(FindingField field, long? value);

    void Add(FindingField field, double? value);

    /// <summary>A duration: JSON in whole milliseconds (its name says so), attributes in seconds.</summary>
    void Add(FindingField field, TimeSpan value);

    /// <summary>A size /proc/meminfo gives in kB: JSON in kB (its name says so), attributes in bytes; null when unknown.</summary>
    void Add(FindingField field, Kilobytes? value);

    void Add(FindingField field, IReadOnlyList<ulong> values);

    void Add(FindingField field, IReadOnlyList<string> values);

    void Add(FindingField field, IReadOnlyList<StackShare> stacks);

    void Add(FindingField field, IReadOnlyList<CacheSize> caches);
}

/// <summary>A size in kibibytes, as /proc/meminfo reports it.</summary>
public readonly record struct Kilobytes(long Value)
{
    public long Bytes => Value * 1024;
}

/// <summary>Every field any finding declares: JSON names as <c>--json</c> writes them, attribute names in the <c>tracer.*</c> namespace.</summary>
public static class Fields
{
    // TCP
    public static readonly FindingField Wl1LagBytes = Tcp("wl1_lag_bytes", "wl1_lag");
    public static readonly FindingField ThresholdBytes = Tcp("threshold_bytes", "wl1_lag_threshold");
    public static readonly FindingField SndWl1 = Tcp("snd_wl1");
    public static readonly FindingField SegSeq = Tcp("seg_seq");
    public static readonly FindingField SegAck = Tcp("seg_ack");
    public static readonly FindingField SegWin = Tcp("seg_win");
    public static readonly FindingField RcvNxt = Tcp("rcv_nxt");
    public static readonly FindingField SndUna = Tcp("snd_una");
    public static readonly FindingField SndNxt = Tcp("snd_nxt");
    public static readonly FindingField SndWnd = Tcp("snd_wnd");
    public static readonly FindingField SndWscale = Tcp("snd_wscale");
    public static readonly FindingField Nwin = Tcp("nwin");
    public static readonly FindingField Unsent = Tcp("unsent");
    public static readonly FindingField WrapDistance = Tcp("wrap_distance");
    public static readonly FindingField Cause = Tcp("cause", "ignore_cause");
    public static readonly FindingField Trigger = Tcp("trigger");
    public static readonly FindingField ZeroSince = Tcp("zero_since_ts_ns");
    public static readonly FindingField DurationMs = Tcp("duration_ms", "duration");
    public static readonly FindingField DurationIsLowerBound = Tcp("duration_is_lower_bound");
    public static readonly FindingField ProbesOutMax = Tcp("probes_out_max");
    public static readonly FindingField BackoffMax = Tcp("backoff_max");
    public static readonly FindingField AdvertisedWindows = Tcp("advertised_windows");
    public static readonly FindingField AdvertisedWindowMax = Tcp("advertised_window_max");
    public static readonly FindingField IgnoredUpdates = Tcp("ignored_updates");
    public static readonly FindingField NewWindow = Tcp("new_window");
    public static readonly FindingField Stuck = Tcp("stuck");
    public static readonly FindingField TrackingEnd = Tcp("tracking_end");

    // listeners and resets
    public static readonly FindingField ListenerPid = Reset("pid", "listener.pid");
    public static readonly FindingField ListenerComm = Reset("comm", "listener.comm");
    public static readonly FindingField ListenerCommand = Reset("command", "listener.command");
    public static readonly FindingField Port = Reset("port", "port");
    public static readonly FindingField Family = Reset("family", "family");
    public static readonly FindingField ResetConnections = Reset("reset_connections", "listener.reset_connections");
    public static readonly FindingField SynQueueResets = Reset("syn_queue_resets", "listener.syn_queue_resets");
    public static readonly FindingField LifetimeMs = Reset("lifetime_ms", "listener.lifetime");
    public static readonly FindingField Accepted = Reset("accepted", "listener.accepted");
    public static readonly FindingField ReuseportGroup = Reset("reuseport_group", "listener.reuseport_group");
    public static readonly FindingField Ghost = Reset("ghost", "listener.ghost");
    public static readonly FindingField CloserPid = Reset("closer_pid", "listener.closer_pid");
    public static readonly FindingField CloserComm = Reset("closer_comm", "listener.closer_comm");
    public static readonly FindingField AcceptQueue = Reset("accept_queue", "listener.accept_queue");
    public static readonly FindingField SynQueue = Reset("syn_queue", "listener.syn_queue");
    public static readonly FindingField StragglerAnsweredBy = Reset("syn_queue_answered_by", "listener.syn_queue_answered_by");
    public static readonly FindingField ResetReason = Reset("reason", "reset.reason");
    public static readonly FindingField ResetCount = Reset("count", "reset.count");
    public static readonly FindingField ResetIntervalMs = Reset("interval_ms", "reset.interval");
    public static readonly FindingField ResetExample = Reset("example", "reset.example");

    // slab
    public static readonly FindingField Cache = Slab("cache");
    public static readonly FindingField IntervalMs = Slab("interval_ms", "interval");
    public static readonly FindingField NetObjects = Slab("net_objects");
    public static readonly FindingField NetBytes = Slab("net_bytes");
    public static readonly FindingField ObjectsPerSecond = Slab("objects_per_s", "growth.object_rate");
    public static readonly FindingField BytesPerSecond = Slab("bytes_per_s", "growth.size_rate");
    public static readonly FindingField NetSource = Slab("net_source");
    public static readonly FindingField AllocsPerSecond = Slab("allocs_per_s", "alloc_rate");
    public static readonly FindingField FreesPerSecond = Slab("frees_per_s", "free_rate");
    public static readonly FindingField SlabinfoDelta = Slab("slabinfo_delta");
    public static readonly FindingField SUnreclaimKb = Slab("sunreclaim_kb", "sunreclaim");
    public static readonly FindingField SUnreclaimDeltaKb = Slab("sunreclaim_delta_kb", "sunreclaim_delta");
    public static readonly FindingField MissedFrees = Slab("missed_frees");
    public static readonly FindingField TopStacks = Slab("top_stacks");
    public static readonly FindingField StreakMs = Slab("streak_ms", "streak");
    public static readonly FindingField GrowthObjects = Slab("growth_objects", "growth.object_count");
    public static readonly FindingField GrowthBytes = Slab("growth_bytes", "growth.size");
    public static readonly FindingField MeanOutstandingAgeMs = Slab("mean_outstanding_age_ms", "outstanding_age.mean");
    public static readonly FindingField VictimPid = Slab("victim_pid");
    public static readonly FindingField VictimComm = Slab("victim_comm");
    public static readonly FindingField Uid = Slab("uid");
    public static readonly FindingField VictimTotalVmBytes = Slab("victim_total_vm_bytes", "victim_total_vm");
    public static readonly FindingField TriggerPid = Slab("trigger_pid");
    public static readonly FindingField TriggerComm = Slab("trigger_comm");
    public static readonly FindingField LargestCaches = Slab("largest_caches");
    public static readonly FindingField GrowingCaches = Slab("growing_caches");
    public static readonly FindingField Attribution = Slab("attribution");
    public static readonly FindingField Refused = Slab("refused");
    public static readonly FindingField RefusedTotal = Slab("refused_total");

    // the tracer itself
    public static readonly FindingField From = Overhead("from");
    public static readonly FindingField To = Overhead("to", "detail_level");
    public static readonly FindingField SamplesPerSecond = Overhead("samples_per_second");
    public static readonly FindingField Dropped = Overhead("dropped");
    public static readonly FindingField BudgetPerSecond = Overhead("budget_per_second");
    public static readonly FindingField DroppedTotal = Overhead("dropped_total");
    public static readonly FindingField DroppedTotalPerCpu = Overhead("dropped_total_per_cpu");

    private static FindingField Tcp(string json, string? attribute = null) => new(json, "tracer.tcp." + (attribute ?? json));

    private static FindingField Reset(string json, string attribute) => new(json, "tracer.tcp." + attribute);

    private static FindingField Slab(string json, string? attribute = null) => new(json, "tracer.slab." + (attribute ?? json));

    private static FindingField Overhead(string json, string? attribute = null) => new(json, "tracer.overhead." + (attribute ?? json));
}
