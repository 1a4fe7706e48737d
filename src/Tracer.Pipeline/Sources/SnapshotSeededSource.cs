using Microsoft.Extensions.Logging;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Paths;
using Tracer.Bpf.Snapshot;
using Tracer.Bpf.Tcp;
using Tracer.Interop;

namespace Tracer.Pipeline.Sources;

/// <summary>
/// <c>tracer tcp --pid/--comm/--port</c>: the matching connections' state from one tcp iterator
/// snapshot first (as <c>attach</c> takes it), so existing connections show at once, then live samples.
/// With --pid or --comm the connections on the target's data path count as the target's: the kernel
/// filters by port only, and live samples are kept here when their process or socket was on the path,
/// or their process has the target's command name (a process started later).
/// </summary>
public sealed class SnapshotSeededSource : ITcpSampleSource
{
    private readonly List<TcpSample> seed;
    private readonly LiveTcpSource live;
    private readonly TcpFilter filter;
    private readonly HashSet<ulong> cookies;
    private readonly HashSet<int> pids;
    private TcpSampleHandler? forward;
    private bool seeded;

    private SnapshotSeededSource(List<TcpSample> seed, LiveTcpSource live, TcpFilter filter, HashSet<ulong> cookies, HashSet<int> pids)
    {
        this.seed = seed;
        this.live = live;
        this.filter = filter;
        this.cookies = cookies;
        this.pids = pids;
    }

    public ulong NowNs => live.NowNs;

    public DetailLevel Detail
    {
        set => live.Detail = value;
    }

    /// <summary>Takes the snapshot, then starts the live tracer (--cgroup is not known to the snapshot: no seed then).</summary>
    public static SnapshotSeededSource Start(BpfSettings settings, TcpTraceOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var filter = options.Filter;
        var target = new SnapshotTarget(filter.Pid, filter.Comm, filter.Port);
        var processes = target.Resolve();
        var walk = DataPathWalk.Walk(target.ByProcess ? processes.Processes.Select(p => p.Pid).ToList() : null, target.Port, FdTable.Read(settings, logger));
        TcpSnapshot? snapshot = null;
        try
        {
            snapshot = filter.CgroupId is not null || (target.ByProcess && walk.Starts.Count == 0) ? null
                : walk.Starts.Count == 0 ? TcpSnapshotReader.Take(settings, target, processes, logger)
                : TcpSnapshotReader.Take(settings, target.ByProcess ? target.Port : null, walk.Sockets, byInode: true, logger);
        }
        catch (BpfException e)
        {
            // the snapshot only shows existing connections at once: live tracing does not need it
            logger.LogWarning("existing connections show once they send a segment: the socket snapshot failed ({Reason})", e.Message);
        }

        var sockets = (snapshot?.Sockets ?? []).Where(s => filter.Family is not { } f || s.Endpoints.Family == f).ToList();
        var liveOptions = target.ByProcess ? options with { Filter = filter with { Pid = null, Comm = null } } : options;
        var source = LiveTcpSource.Start(settings, liveOptions, logger);
        return new SnapshotSeededSource(
            sockets.SelectMany(s => s.ToSamples()).ToList(), source, filter,
            sockets.Select(s => s.Cookie).ToHashSet(), walk.Reached.ToHashSet());
    }

    public bool WaitOn(WaitSet waits) => live.WaitOn(waits);

    public bool Poll(TcpSampleHandler onSample)
    {
        ArgumentNullException.ThrowIfNull(onSample);
        if (!seeded)
        {
            Seed(onSample);
        }

        forward = onSample;
        return live.Poll(OnLiveSample);
    }

    public void Drain(TcpSampleHandler onSample)
    {
        ArgumentNullException.ThrowIfNull(onSample);
        if (!seeded)
        {
            Seed(onSample);
        }

        forward = onSample;
        live.Drain(OnLiveSample);
    }

    public LoadState Load(ulong samples) => live.Load(samples);

    public void Dispose() => live.Dispose();

    private void Seed(TcpSampleHandler onSample)
    {
        seeded = true;
        foreach (var sample in seed)
        {
            onSample(sample);
        }
    }

    private void OnLiveSample(in TcpSample sample)
    {
        var byProcess = filter.Pid is not null || filter.Comm is not null;
        if (!byProcess || cookies.Contains(sample.Cookie) || pids.Contains(sample.Pid) ||
            (filter.Pid is null && filter.Comm == sample.Comm) || (filter.Comm is null && filter.Pid == sample.Pid))
        {
            forward!(sample);
        }
    }
}
