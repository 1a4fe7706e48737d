using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.DataPath;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Owners;
using Tracer.Bpf.Paths;
using Tracer.Bpf.Snapshot;
using Tracer.Pipeline.Sources;

namespace Tracer.Pipeline;

/// <summary>The target's data path: the graph the walk found, the processes it reached, the verdict on it, the time the walk and the graph took and how the descriptors were read.</summary>
public sealed record AttachPath(PathGraph Graph, PathVerdict Verdict, TargetProcesses Reached, TimeSpan WalkTime, string WalkMethod);

/// <summary>What the live phase of <c>tracer attach</c> waits on: zero-window connections to be judged, and the TCP connections of a data path to see bytes move on (0 when the path is settled).</summary>
public readonly record struct LiveWatch(int ZeroWindowConnections, int PathConnections);

/// <summary>
/// What <c>tracer attach</c> found at once: the target's processes, the sockets on its data path,
/// each judged, problems first, and the path (null for a port no process holds).
/// </summary>
public sealed record AttachSnapshot(SnapshotTarget Target, TargetProcesses Processes, TcpSnapshot Snapshot, IReadOnlyList<JudgedSocket> Judged, AttachPath? Path);

/// <summary>How the live confirmation ended: the connections' outcome and the path's.</summary>
public sealed record AttachResult(SnapshotOutcome Outcome, PathConfirmation? Path, TimeSpan Watched)
{
    /// <summary>A connection cannot leave zero window, or a held path did not move.</summary>
    public bool IsStuck => Outcome.Verdict == AttachVerdict.Stuck || Path?.IsStuck == true;

    /// <summary>The closing sentence: the connections' when they settled (stuck, recovered), else the path's when it says more.</summary>
    public string Summary => Outcome.Verdict is AttachVerdict.Stuck or AttachVerdict.Recovered ? Outcome.Summary(Watched) : Path?.Summary(Watched) ?? Outcome.Summary(Watched);
}

/// <summary>
/// <c>tracer attach</c>: the verdict on a stuck transfer from its sockets' state right now
/// (the tcp iterator), then confirmed live until the peer's answer settles it or the watch ends.
/// </summary>
public static class Attach
{
    public static AttachSnapshot Snapshot(BpfSettings settings, SnapshotTarget target, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(target);
        var processes = target.Resolve();
        if (target.ByProcess && processes.Processes.Count == 0)
        {
            throw new TraceTargetException(target.Pid is { } gone
                ? (Directory.Exists($"/proc/{gone}") ? $"--pid {gone}: its command name is not {target.Comm}" : $"--pid {gone}: the process exited")
                : $"--comm {target.Comm}: no process has this command name");
        }

        var walkTime = Stopwatch.StartNew();
        var walk = DataPathWalk.Walk(target.ByProcess ? processes.Processes.Select(p => p.Pid).ToList() : null, target.Port, FdTable.Read(settings, logger));
        walkTime.Stop();
        var snapshot = walk.Starts.Count == 0
            ? TcpSnapshotReader.Take(settings, target, processes, logger)
            : TcpSnapshotReader.Take(settings, target.ByProcess ? target.Port : null, walk.Sockets, byInode: true, logger);
        if (target.Pid is { } pid && !Directory.Exists($"/proc/{pid}"))
        {
            throw new TraceTargetException($"--pid {pid}: the process exited during the attach");
        }

        AttachPath? path = null;
        if (walk.Starts.Count > 0)
        {
            walkTime.Start();
            var graph = DataPathWalk.Graph(walk, snapshot);
            walkTime.Stop();
            var verdict = PathVerdict.Of(graph);
            if (verdict.State == PathState.NoNetwork)
            {
                throw new TraceTargetException(verdict.Message);
            }

            path = new AttachPath(graph, verdict, walk.Sockets, walkTime.Elapsed, walk.Fds.Method);
        }

        return new AttachSnapshot(target, processes, snapshot, JudgedSocket.Judge(snapshot.Sockets), path);
    }

    /// <summary>
    /// Runs the snapshot's samples, then the target's live samples, through the engine until every
    /// zero-window connection is judged or <paramref name="stop"/> ends the watch (a 0 s watch: the snapshot only).
    /// </summary>
    public static AttachResult Confirm(AttachSnapshot snapshot, BpfSettings settings, StopSignal stop, bool watchLive, IFindingSink output, Action<LiveWatch>? beforeLive, ILogger logger)
    {
        var outcome = new SnapshotOutcome(output);
        var path = snapshot.Path is { } p ? new PathConfirmation(p.Graph, p.Verdict) : null;
        using var source = new AttachSource(snapshot, outcome, path, settings, watchLive, beforeLive, logger);
        var options = new EngineOptions
        {
            // the snapshot may date a zero window hours back: nothing is forgotten for being idle
            TcpAnalysis = new TcpWindowAnalyzerOptions { IdleTimeout = TimeSpan.FromDays(365) },
            Done = () => outcome.IsSettled && path?.IsSettled != false,
            ContainerOf = pid => ProcCgroups.ContainerOf(pid),
        };
        new Engine(options, outcome, logger).Run(source, slab: null, stop);
        return new AttachResult(outcome, path, source.Watched);
    }
}

/// <summary>The target named on the command line cannot be traced (no such process, it exited): one line, exit 1.</summary>
public sealed class TraceTargetException(string message) : Exception(message);
