using System.Globalization;
using System.Net.Sockets;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;

namespace Tracer.Analysis.Resets;

/// <summary>A listener as the analysis knows it: who owned it, where it listened, when it began (null: before the trace).</summary>
public sealed record ListenerInfo(ulong Inode, AddressFamily Family, ushort Port, int Pid, string Comm, string? Command, ulong? BirthNs, ulong Group)
{
    /// <summary>How a member of a SO_REUSEPORT group is named in findings: <c>100/nginx</c>.</summary>
    public string Member => string.Create(CultureInfo.InvariantCulture, $"{Pid}/{Comm}");

    public string Where => Family == AddressFamily.InterNetworkV6 ? $"[::]:{Port}" : $"*:{Port}";
}

/// <summary>
/// <c>tcp.listener_reset</c>: a listener closed with connections queued and the kernel reset
/// them (<see cref="ResetConnections"/>), plus the handshakes of its SYN queue that another
/// listener of its group later answered with a RST (<see cref="SynQueueResets"/>).
/// <see cref="Ghost"/>: it had joined an existing SO_REUSEPORT group, lived a short time and accepted nothing (or nothing known).
/// </summary>
/// <param name="Members">The group's other members when it joined (or, for a listener older than the trace, when it closed).</param>
/// <param name="LifetimeNs">From listen() to close; null when it listened before the trace began.</param>
/// <param name="Accepted">Connections accept() returned from it; null: not known (it listened before the trace began, or the accept hooks are missing).</param>
public sealed record ListenerResetFinding(ulong TimestampNs, ListenerInfo Listener, int CloserPid, string CloserComm, int ResetConnections, int SynQueueResets,
    int AcceptQueue, int SynQueue, ulong? LifetimeNs, long? Accepted, IReadOnlyList<ListenerInfo> Members, bool Ghost, IReadOnlyList<ListenerInfo> AnsweredBy)
    : Finding(TimestampNs)
{
    public override FindingKind Kind => FindingKind.ListenerReset;

    public override Severity Severity => Severity.Warning;

    public int TotalResets => ResetConnections + SynQueueResets;

    public override string Message
    {
        get
        {
            var l = Listener;
            var who = l.Command is { Length: > 0 } command && command != l.Comm ? $"`{l.Comm}` pid {l.Pid} (`{command}`)" : $"`{l.Comm}` pid {l.Pid}";
            var text = ResetConnections > 0
                ? string.Create(CultureInfo.InvariantCulture,
                    $"RST × {TotalResets} on {l.Where}: the kernel reset {ResetConnections} connection{(ResetConnections == 1 ? "" : "s")} queued on a listener of {who}, which closed")
                : string.Create(CultureInfo.InvariantCulture, $"RST × {TotalResets} on {l.Where}: a listener of {who} closed");
            if (LifetimeNs is { } life)
            {
                var joined = Members.Count == 0 ? "after it began listening" : $"after it joined the SO_REUSEPORT group of {Names(Members)}";
                text += $" {Human.Duration(life)} {joined}";
            }
            else if (Members.Count > 0)
            {
                text += $" while in the SO_REUSEPORT group of {Names(Members)}";
            }

            if (ResetConnections > 0)
            {
                text += Accepted switch
                {
                    0 => " without accepting any",
                    { } n => string.Create(CultureInfo.InvariantCulture, $" after accepting {n} other{(n == 1 ? "" : "s")}"),
                    null => " without accepting them",
                };
            }

            if (SynQueueResets > 0)
            {
                var by = AnsweredBy.Count == 0 ? "another listener" : string.Join(", ", AnsweredBy.Select(m => string.Create(CultureInfo.InvariantCulture, $"pid {m.Pid}'s listener")));
                text += string.Create(CultureInfo.InvariantCulture,
                    $"; {(ResetConnections > 0 ? "" : "its ")}{SynQueueResets}{(ResetConnections > 0 ? " more" : "")} handshake{(SynQueueResets == 1 ? "" : "s")} in its SYN queue {(SynQueueResets == 1 ? "was" : "were")} answered by {by} with a RST");
            }

            return text + (Ghost ? " (a ghost listener: it joined the group briefly and never served it)" : "");
        }
    }

    public override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.ListenerPid, (long)Listener.Pid);
        fields.Add(Fields.ListenerComm, Listener.Comm);
        if (Listener.Command is { } command)
        {
            fields.Add(Fields.ListenerCommand, command);
        }

        fields.Add(Fields.Port, (long)Listener.Port);
        fields.Add(Fields.Family, Listener.Family == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4");
        fields.Add(Fields.ResetConnections, (long)ResetConnections);
        fields.Add(Fields.SynQueueResets, (long)SynQueueResets);
        if (LifetimeNs is { } life)
        {
            fields.Add(Fields.LifetimeMs, TimeSpan.FromTicks((long)(life / 100)));
        }
        else
        {
            fields.Add(Fields.LifetimeMs, (double?)null);
        }

        fields.Add(Fields.Accepted, Accepted);
        fields.Add(Fields.ReuseportGroup, Members.Select(m => m.Member).ToList());
        fields.Add(Fields.Ghost, Ghost);
        fields.Add(Fields.CloserPid, (long)CloserPid);
        fields.Add(Fields.CloserComm, CloserComm);
        fields.Add(Fields.AcceptQueue, (long)AcceptQueue);
        fields.Add(Fields.SynQueue, (long)SynQueue);
        fields.Add(Fields.StragglerAnsweredBy, AnsweredBy.Select(m => m.Member).ToList());
    }

    private static string Names(IEnumerable<ListenerInfo> members) =>
        string.Join(", ", members.DistinctBy(m => m.Pid).Select(m => string.Create(CultureInfo.InvariantCulture, $"`{m.Comm}` pid {m.Pid}")));
}

/// <summary><c>tcp.resets</c>: RSTs this host sent from one local port for one reason over an interval, besides those a listener's close explains.</summary>
/// <param name="Example">One of them, as local → peer.</param>
public sealed record ResetsFinding(ulong TimestampNs, ushort Port, RstReason Reason, long Count, ulong IntervalNs, Endpoints Example) : Finding(TimestampNs)
{
    public override FindingKind Kind => FindingKind.Resets;

    public override Severity Severity => Severity.Info;

    public override string Message =>
        string.Create(CultureInfo.InvariantCulture, $"RST × {Count} from port {Port} in {Human.Duration(IntervalNs)}: {Reason.Name()}: {Reason.Explain()} (e.g. {Example})");

    public override void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.Port, (long)Port);
        fields.Add(Fields.ResetReason, Reason.Name());
        fields.Add(Fields.ResetCount, Count);
        fields.Add(Fields.ResetIntervalMs, TimeSpan.FromTicks((long)(IntervalNs / 100)));
        fields.Add(Fields.ResetExample, Example.ToString());
    }
}
