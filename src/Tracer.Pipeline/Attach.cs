using Microsoft.Extensions.Logging;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Owners;
using Tracer.Bpf.Snapshot;
using Tracer.Pipeline.Sources;

namespace Tracer.Pipeline;

/// <summary>What <c>tracer attach</c> found at once: the target's processes and their sockets, each judged, problems first.</summary>
public sealed record AttachSnapshot(SnapshotTarget Target, TargetProcesses Processes, TcpSnapshot Snapshot, IReadOnlyList<JudgedSocket> Judged);

/// <summary>How the live confirmation ended.</summary>
public sealed record AttachResult(SnapshotOutcome Outcome, TimeSpan Watched);

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

        var snapshot = TcpSnapshotReader.Take(settings, target, processes, logger);
        if (target.Pid is { } pid && !Directory.Exists($"/proc/{pid}"))
        {
            throw new TraceTargetException($"--pid {pid}: the process exited during the attach");
        }

        return new AttachSnapshot(target, processes, snapshot, JudgedSocket.Judge(snapshot.Sockets));
    }

    /// <summary>
    /// Runs the snapshot's samples, then the target's live samples, through the engine until every
    /// zero-window connection is judged or <paramref name="stop"/> ends the watch (a 0 s watch: the snapshot only).
    /// </summary>
    public static AttachResult Confirm(AttachSnapshot snapshot, BpfSettings settings, StopSignal stop, bool watchLive, IFindingSink output, Action<int>? beforeLive, ILogger logger)
    {
        var outcome = new SnapshotOutcome(output);
        using var source = new AttachSource(snapshot, outcome, settings, watchLive, beforeLive, logger);
        var options = new EngineOptions
        {
            // the snapshot may date a zero window hours back: nothing is forgotten for being idle
            TcpAnalysis = new TcpWindowAnalyzerOptions { IdleTimeout = TimeSpan.FromDays(365) },
            Done = () => outcome.IsSettled,
            ContainerOf = pid => ProcCgroups.ContainerOf(pid),
        };
        new Engine(options, outcome, logger).Run(source, slab: null, stop);
        return new AttachResult(outcome, source.Watched);
    }
}

/// <summary>The target named on the command line cannot be traced (no such process, it exited): one line, exit 1.</summary>
public sealed class TraceTargetException(string message) : Exception(message);
