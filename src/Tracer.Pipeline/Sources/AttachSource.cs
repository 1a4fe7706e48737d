using Microsoft.Extensions.Logging;
using Tracer.Analysis.DataPath;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Snapshot;
using Tracer.Bpf.Tcp;
using Tracer.Interop;

namespace Tracer.Pipeline.Sources;

/// <summary>
/// The samples of <c>tracer attach</c>: first each snapshot socket's state as samples (a
/// socket judged stuck from its snapshot is predicted stuck right after its samples), then,
/// unless <c>watchLive</c> is false, the target's live samples until the engine stops;
/// <c>beforeLive</c> hears what the live phase waits on. While the
/// data path is not settled, its sockets are snapshotted again every <see cref="PathLookInterval"/>
/// to see whether bytes move.
/// </summary>
public sealed class AttachSource(AttachSnapshot snapshot, SnapshotOutcome outcome, PathConfirmation? path, BpfSettings settings, bool watchLive, Action<LiveWatch>? beforeLive, ILogger logger)
    : ITcpSampleSource
{
    private static readonly TimeSpan PathLookInterval = TimeSpan.FromMilliseconds(500);
    private readonly HashSet<ulong> known = snapshot.Judged.Select(j => j.Socket.Cookie).ToHashSet();
    private readonly HashSet<int> pids = (snapshot.Path?.Reached ?? snapshot.Processes).Processes.Select(p => p.Pid).ToHashSet();
    private long nextPathLook;
    private bool seeded;
    private TcpWindowTracer? live;
    private TcpSampleHandler? forward;
    private TcpSnapshotIterator? pathLook;
    private long liveSince;
    private WaitSet? waits;

    public ulong NowNs => Clock.MonotonicNowNsUnsigned;

    public DetailLevel Detail
    {
        set { }
    }

    /// <summary>How long the live phase has run.</summary>
    public TimeSpan Watched => live is null ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - liveSince);

    public bool WaitOn(WaitSet waits)
    {
        this.waits = waits;
        return true;
    }

    public bool Poll(TcpSampleHandler onSample)
    {
        if (!seeded)
        {
            Seed(onSample);
            return true;
        }

        if (live is null)
        {
            if (!watchLive)
            {
                return false;
            }

            var pathConnections = path is null || path.IsSettled ? 0 : snapshot.Path!.Graph.Links.Where(l => l.Kind == ChannelKind.Tcp).Select(l => l.Channel).Distinct().Count();
            beforeLive?.Invoke(new LiveWatch(outcome.Waiting.Count, pathConnections));
            liveSince = Environment.TickCount64;
            // the kernel filters by comm (not when the path crosses other commands) and port; pids are
            // matched here, since a socket shared by a parent and its child may be attributed to either
            var comm = snapshot.Path is null ? snapshot.Target.Comm : null;
            var options = new TcpTraceOptions { Filter = new TcpFilter { Comm = comm, Port = snapshot.Target.Port } };
            live = TcpWindowTracer.Start(settings, options, logger);
            waits?.Add(live.WaitFd, "TCP window events");
        }

        PollLive(onSample);
        LookAtPath();
        return true;
    }

    public void Drain(TcpSampleHandler onSample)
    {
        if (!seeded)
        {
            Seed(onSample);
        }
        else if (live is not null)
        {
            PollLive(onSample);
        }
    }

    public LoadState Load(ulong samples) => live?.Load(samples) ?? LoadState.Empty with { Samples = samples };

    public void Dispose()
    {
        live?.Dispose();
        pathLook?.Dispose();
    }

    private void Seed(TcpSampleHandler onSample)
    {
        seeded = true;
        foreach (var j in snapshot.Judged)
        {
            foreach (var sample in j.Socket.ToSamples())
            {
                onSample(sample);
            }

            if (j.Verdict.Problem == SnapshotProblem.Stuck)
            {
                outcome.PredictedStuck(j.Socket.Cookie);
            }
        }

        path?.Observe(BytesMoved(snapshot.Snapshot));
    }

    private void LookAtPath()
    {
        if (path is null || path.IsSettled || Environment.TickCount64 < nextPathLook)
        {
            return;
        }

        nextPathLook = Environment.TickCount64 + (long)PathLookInterval.TotalMilliseconds;
        pathLook ??= TcpSnapshotIterator.Load(settings, snapshot.Target.ByProcess ? snapshot.Target.Port : null, snapshot.Path!.Reached, byInode: true, logger);
        path.Observe(BytesMoved(pathLook.Take()));
    }

    private static Dictionary<ulong, ulong> BytesMoved(TcpSnapshot tcp)
    {
        var bytes = new Dictionary<ulong, ulong>();
        foreach (var s in tcp.Sockets)
        {
            bytes[s.Cookie] = s.BytesAcked + s.BytesReceived;
        }

        return bytes;
    }

    private void PollLive(TcpSampleHandler onSample)
    {
        forward = onSample;
        live!.Poll(0, OnLiveSample);
    }

    private void OnLiveSample(in TcpSample sample)
    {
        if (known.Contains(sample.Cookie) || !snapshot.Target.ByProcess || pids.Contains(sample.Pid))
        {
            forward!(sample);
        }
    }
}
