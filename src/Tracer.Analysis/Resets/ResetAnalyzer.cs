using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Resets;

public sealed record ResetAnalyzerOptions
{
    /// <summary>How long RSTs are counted per port and reason before a <c>tcp.resets</c> finding is emitted.</summary>
    public TimeSpan SummaryInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after a listener's close a RST from another listener of its port is taken for a handshake
    /// of its SYN queue: the client sends its next segment within its retransmission horizon.
    /// </summary>
    public TimeSpan StragglerWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A listener that joined an existing group and closed within this is a ghost.</summary>
    public TimeSpan GhostLifetime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Only this local port (listener findings: the listener's port).</summary>
    public ushort? Port { get; init; }

    /// <summary>Only listeners owned or closed by this process (resets summaries are per port and ignore it).</summary>
    public int? Pid { get; init; }

    public string? Comm { get; init; }
}

/// <summary>
/// Listener lifecycles, SO_REUSEPORT groups and the RSTs this host sends → findings. The RSTs a
/// listener's close sends (its queued children, reset in the closing task) arrive tagged with the
/// listener; the SYN-queue stragglers arrive later, answered in softirq by another listener of the
/// port, and are attributed to the closed listener up to its SYN-queue length within
/// <see cref="ResetAnalyzerOptions.StragglerWindow"/>. Every other RST is counted per port and reason.
/// </summary>
public sealed class ResetAnalyzer(IFindingSink sink, ResetAnalyzerOptions options)
{
    private readonly Dictionary<ulong, Live> listeners = [];
    private readonly Dictionary<ulong, Closed> closed = [];
    private readonly Dictionary<(ushort Port, RstReason Reason), (long Count, Endpoints Example)> counts = [];
    private ulong? intervalStartNs;

    /// <summary>Listeners alive now, as far as the trace saw.</summary>
    public IEnumerable<ListenerInfo> Listeners => listeners.Values.Select(l => l.Info);

    public void Observe(ResetSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        intervalStartNs ??= sample.TimestampNs;
        switch (sample)
        {
            case ListenerSample { Kind: ListenerEventKind.Listen or ListenerEventKind.Existing } l:
                Born(l);
                break;
            case ListenerSample { Kind: ListenerEventKind.Close } l:
                Close(l);
                break;
            case ListenerSample { Kind: ListenerEventKind.Gone } l:
                if (closed.TryGetValue(l.Inode, out var gone))
                {
                    gone.Gone = true;
                    TryComplete(gone, l.TimestampNs);
                }

                break;
            case RstSample r:
                Reset(r);
                break;
        }
    }

    /// <summary>Emits what is due: closes whose stragglers can no longer come, and the per-reason counts once an interval has passed.</summary>
    public void Tick(ulong nowNs)
    {
        foreach (var c in closed.Values.ToList())
        {
            TryComplete(c, nowNs);
        }

        if (intervalStartNs is { } start && nowNs - Math.Min(nowNs, start) >= Ns(options.SummaryInterval))
        {
            EmitCounts(nowNs);
        }
    }

    /// <summary>The end of the trace: every close is reported with what was seen, and the counts so far.</summary>
    public void Flush(ulong nowNs)
    {
        foreach (var c in closed.Values.ToList())
        {
            Complete(c, nowNs);
        }

        EmitCounts(nowNs);
    }

    private void Born(ListenerSample l)
    {
        var info = new ListenerInfo(l.Inode, l.Family, l.Port, l.Pid, l.Comm, l.Command, l.Kind == ListenerEventKind.Listen ? l.BirthNs : null, l.Group);
        // the group as it was when this one joined: its other live members with the same group address
        // (the listener iterator may already have reported this one, when it listened during start-up)
        var members = l.Group == 0
            ? []
            : listeners.Values.Where(m => m.Info.Inode != l.Inode && m.Info.Group == l.Group && m.Info.Port == l.Port).Select(m => m.Info).ToList();
        listeners[l.Inode] = new Live(info, members);
    }

    private void Close(ListenerSample l)
    {
        if (!listeners.Remove(l.Inode, out var live))
        {
            // closed before any listen() the trace saw, and missed by the scan
            live = new Live(new ListenerInfo(l.Inode, l.Family, l.Port, l.Pid, l.Comm, null, null, 0), []);
        }

        var members = live.JoinedMembers.Count > 0 || live.Info.Group == 0
            ? live.JoinedMembers
            : listeners.Values.Where(m => m.Info.Group == live.Info.Group && m.Info.Port == live.Info.Port).Select(m => m.Info).ToList();
        // accepts before the trace began are not counted: a listener older than the trace has no known total
        var accepted = live.Info.BirthNs is not null ? l.Accepted : null;
        closed[l.Inode] = new Closed(live.Info, l.TimestampNs, l.Pid, l.Comm, l.AcceptQueue, l.SynQueue, members) { Accepted = accepted };
    }

    private void Reset(RstSample r)
    {
        if (r.ClosingListener != 0 && closed.TryGetValue(r.ClosingListener, out var owner))
        {
            owner.Resets++;
            return;
        }

        if (r.State == TcpState.Listen && Straggler(r) is { } ghost)
        {
            ghost.Stragglers++;
            if (listeners.TryGetValue(r.SendingListener, out var sender) && !ghost.AnsweredBy.Contains(sender.Info))
            {
                ghost.AnsweredBy.Add(sender.Info);
            }

            TryComplete(ghost, r.TimestampNs);
            return;
        }

        if (options.Port is { } port && r.Endpoints.LocalPort != port)
        {
            return;
        }

        var key = (r.Endpoints.LocalPort, r.Reason);
        counts[key] = (counts.GetValueOrDefault(key).Count + 1, r.Endpoints);
    }

    /// <summary>The closed listener of the RST's port whose SYN queue still has handshakes unaccounted for, the latest closed first.</summary>
    private Closed? Straggler(RstSample r) =>
        closed.Values
            .Where(c => c.Listener.Port == r.Endpoints.LocalPort && c.Stragglers < c.SynQueue && r.TimestampNs - Math.Min(r.TimestampNs, c.CloseNs) <= Ns(options.StragglerWindow))
            .MaxBy(c => c.CloseNs);

    private void TryComplete(Closed c, ulong nowNs)
    {
        var stragglersDone = c.Stragglers >= c.SynQueue || nowNs - Math.Min(nowNs, c.CloseNs) > Ns(options.StragglerWindow);
        if (c.Gone && stragglersDone)
        {
            Complete(c, nowNs);
        }
        else if (nowNs - Math.Min(nowNs, c.CloseNs) > Ns(options.StragglerWindow))
        {
            // no destroy seen (the hook is missing): nothing more can be its own by now
            Complete(c, nowNs);
        }
    }

    private void Complete(Closed c, ulong nowNs)
    {
        closed.Remove(c.Listener.Inode);
        if (c.Resets + c.Stragglers == 0 || !Selected(c))
        {
            return;
        }

        ulong? lifetime = c.Listener.BirthNs is { } birth ? c.CloseNs - Math.Min(c.CloseNs, birth) : null;
        var ghost = lifetime is { } life && life <= Ns(options.GhostLifetime) && c.Members.Count > 0 && c.Accepted is null or 0;
        sink.Emit(new ListenerResetFinding(c.CloseNs, c.Listener, c.CloserPid, c.CloserComm, c.Resets, c.Stragglers, c.AcceptQueue, c.SynQueue, lifetime,
            c.Accepted, c.Members, ghost, c.AnsweredBy));
    }

    private bool Selected(Closed c) =>
        (options.Port is not { } port || c.Listener.Port == port)
        && (options.Pid is not { } pid || c.Listener.Pid == pid || c.CloserPid == pid)
        && (options.Comm is not { } comm || c.Listener.Comm == comm || c.CloserComm == comm);

    private void EmitCounts(ulong nowNs)
    {
        var start = intervalStartNs ?? nowNs;
        foreach (var ((port, reason), (count, example)) in counts.OrderBy(c => c.Key.Port).ThenBy(c => c.Key.Reason))
        {
            sink.Emit(new ResetsFinding(nowNs, port, reason, count, nowNs - Math.Min(nowNs, start), example));
        }

        counts.Clear();
        intervalStartNs = nowNs;
    }

    private static ulong Ns(TimeSpan span) => (ulong)span.Ticks * TimeSpan.NanosecondsPerTick;

    private sealed record Live(ListenerInfo Info, IReadOnlyList<ListenerInfo> JoinedMembers);

    private sealed class Closed(ListenerInfo listener, ulong closeNs, int closerPid, string closerComm, int acceptQueue, int synQueue, IReadOnlyList<ListenerInfo> members)
    {
        public ListenerInfo Listener { get; } = listener;
        public ulong CloseNs { get; } = closeNs;
        public int CloserPid { get; } = closerPid;
        public string CloserComm { get; } = closerComm;
        public int AcceptQueue { get; } = acceptQueue;
        public int SynQueue { get; } = synQueue;
        public IReadOnlyList<ListenerInfo> Members { get; } = members;
        public List<ListenerInfo> AnsweredBy { get; } = [];

        /// <summary>Connections accept() returned from it, when its whole life was traced with the accept hooks.</summary>
        public long? Accepted { get; init; }
        public int Resets { get; set; }
        public int Stragglers { get; set; }
        public bool Gone { get; set; }
    }
}
