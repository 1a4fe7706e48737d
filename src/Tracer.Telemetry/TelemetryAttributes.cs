namespace Tracer.Telemetry;

/// <summary>
/// Attribute names: OpenTelemetry semantic conventions where one exists, the
/// <c>tracer.*</c> namespace for the rest. No unit in a name: sizes are bytes, times seconds.
/// </summary>
public static class TelemetryAttributes
{
    public const string NetworkTransport = "network.transport";
    public const string NetworkType = "network.type";
    public const string NetworkLocalAddress = "network.local.address";
    public const string NetworkLocalPort = "network.local.port";
    public const string NetworkPeerAddress = "network.peer.address";
    public const string NetworkPeerPort = "network.peer.port";
    public const string ProcessPid = "process.pid";
    public const string ProcessExecutableName = "process.executable.name";
    public const string HostName = "host.name";
    public const string ProcessCommand = "process.command";
    public const string CpuLogicalNumber = "cpu.logical_number";
    public const string SystemMemoryLinuxSlabState = "system.memory.linux.slab.state";
    public const string ServiceName = "service.name";

    public const string FindingKind = "tracer.finding.kind";
    public const string FindingSeverity = "tracer.finding.severity";
    public const string FindingLostSamples = "tracer.finding.lost_samples";
    public const string OverheadDetailLevel = "tracer.overhead.detail_level";
    public const string OverheadSamplesPerSecond = "tracer.overhead.samples_per_second";

    public const string TcpCookie = "tracer.tcp.cookie";
    public const string TcpTrigger = "tracer.tcp.trigger";
    public const string TcpSndUna = "tracer.tcp.snd_una";
    public const string TcpSndNxt = "tracer.tcp.snd_nxt";
    public const string TcpSndWnd = "tracer.tcp.snd_wnd";
    public const string TcpSndWl1 = "tracer.tcp.snd_wl1";
    public const string TcpSndWscale = "tracer.tcp.snd_wscale";
    public const string TcpSegSeq = "tracer.tcp.seg_seq";
    public const string TcpSegAck = "tracer.tcp.seg_ack";
    public const string TcpSegWin = "tracer.tcp.seg_win";
    public const string TcpNwin = "tracer.tcp.nwin";
    public const string TcpUnsentBytes = "tracer.tcp.unsent";
    public const string TcpWl1LagBytes = "tracer.tcp.wl1_lag";
    public const string TcpWl1LagThresholdBytes = "tracer.tcp.wl1_lag_threshold";
    public const string TcpWrapDistance = "tracer.tcp.wrap_distance";
    public const string TcpIgnoreCause = "tracer.tcp.ignore_cause";
    public const string TcpDurationIsLowerBound = "tracer.tcp.duration_is_lower_bound";
    public const string TcpProbesOutMax = "tracer.tcp.probes_out_max";
    public const string TcpBackoffMax = "tracer.tcp.backoff_max";
    public const string TcpAdvertisedWindows = "tracer.tcp.advertised_windows";
    public const string TcpAdvertisedWindowMax = "tracer.tcp.advertised_window_max";
    public const string TcpIgnoredUpdates = "tracer.tcp.ignored_updates";
    public const string TcpNewWindow = "tracer.tcp.new_window";
    public const string TcpStuck = "tracer.tcp.stuck";
    public const string TcpTrackingEnd = "tracer.tcp.tracking_end";

    public const string SlabCache = "tracer.slab.cache";
    public const string SlabGrowthObjects = "tracer.slab.growth.object_count";
    public const string SlabGrowthBytes = "tracer.slab.growth.size";
    public const string SlabObjectsPerSecond = "tracer.slab.growth.object_rate";
    public const string SlabBytesPerSecond = "tracer.slab.growth.size_rate";
    public const string SlabMeanOutstandingAgeSeconds = "tracer.slab.outstanding_age.mean";
    public const string SlabSUnreclaimDelta = "tracer.slab.sunreclaim_delta";
    public const string SlabTopStacks = "tracer.slab.top_stacks";
    public const string SlabTopStackObjects = "tracer.slab.top_stack_objects";
    public const string SlabTopStackComms = "tracer.slab.top_stack_comms";

    public const string TelemetrySignal = "tracer.telemetry.signal";
}
