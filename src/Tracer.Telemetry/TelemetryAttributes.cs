namespace Tracer.Telemetry;

/// <summary>
/// Attribute names besides the findings' own fields (<see cref="Tracer.Analysis.Findings.Fields"/>):
/// OpenTelemetry semantic conventions where one exists, the <c>tracer.*</c> namespace for the rest.
/// No unit in a name: sizes are bytes, times seconds.
/// </summary>
public static class TelemetryAttributes
{
    public const string NetworkTransport = "network.transport";
    public const string ResetReason = "tracer.tcp.reset.reason";
    public const string NetworkType = "network.type";
    public const string NetworkLocalAddress = "network.local.address";
    public const string NetworkLocalPort = "network.local.port";
    public const string NetworkPeerAddress = "network.peer.address";
    public const string NetworkPeerPort = "network.peer.port";
    public const string ProcessPid = "process.pid";
    public const string ProcessExecutableName = "process.executable.name";
    public const string HostName = "host.name";
    public const string ContainerId = "container.id";
    public const string K8sPodUid = "k8s.pod.uid";
    public const string ProcessCommand = "process.command";
    public const string CpuLogicalNumber = "cpu.logical_number";
    public const string SystemMemoryLinuxSlabState = "system.memory.linux.slab.state";
    public const string ServiceName = "service.name";

    public const string FindingKind = "tracer.finding.kind";
    public const string FindingSeverity = "tracer.finding.severity";
    public const string FindingSubject = "tracer.finding.subject";
    public const string FindingLostSamples = "tracer.finding.lost_samples";

    public const string TcpCookie = "tracer.tcp.cookie";
    public const string TcpStuck = "tracer.tcp.stuck";

    public const string SlabCache = "tracer.slab.cache";
    public const string SlabTopStackObjects = "tracer.slab.top_stack_objects";
    public const string SlabTopStackComms = "tracer.slab.top_stack_comms";

    public const string TelemetrySignal = "tracer.telemetry.signal";
}
