using Tracer.Analysis.DataPath;

namespace Tracer.Analysis.Tests.DataPath;

/// <summary>The verdict on hand-built data paths: which hop holds the transfer, the chain drawn to it, and never a false "normal".</summary>
public sealed class PathVerdictTests
{
    private static readonly BlockedCall Poll = new("poll", null);

    private static PathProcess Process(int pid, string comm, RunState state, BlockedCall? call = null, string wchan = "") =>
        new(pid, 1, comm, state, call, wchan, 1);

    private static PathLink Pipe(int writer, int reader, bool full, ulong inode = 7) => new()
    {
        Channel = $"pipe:[{inode}]",
        Kind = ChannelKind.Pipe,
        Writers = [writer],
        Readers = [reader],
        Queued = full ? 65_000UL : 0,
        Capacity = 65_536,
        Full = full,
    };

    [Fact]
    public void AFullPipeReadByAStoppedProcessIsHeldThereWithTheChainFromTheTarget()
    {
        var graph = new PathGraph([10],
            [Process(10, "rsync", RunState.Sleeping, new BlockedCall("write", 3), "pipe_write"), Process(11, "ssh", RunState.Stopped)],
            [Pipe(10, 11, full: true)], TcpSockets: 1);

        var verdict = PathVerdict.Of(graph);

        Assert.Equal(PathState.Held, verdict.State);
        Assert.Equal(11, verdict.HolderPid);
        Assert.Equal([10, null, 11], verdict.Chain.Select(h => h.Pid));
        Assert.Equal("rsync 10 sleeps in write(fd 3) at pipe_write → full pipe pipe:[7] (65.0 kB of 65.5 kB) read by ssh 11 → ssh 11 is stopped by a signal (SIGSTOP/SIGTSTP)",
            verdict.Message);
    }

    [Fact]
    public void AStoppedProcessOffTheFullChainStillHoldsThePathAndIsReachedByTheShortestChain()
    {
        var graph = new PathGraph([10],
            [Process(10, "tar", RunState.Running), Process(11, "gzip", RunState.Sleeping, Poll), Process(12, "nc", RunState.TracingStop)],
            [Pipe(10, 11, full: false, inode: 7), Pipe(11, 12, full: false, inode: 8)], TcpSockets: 1);

        var verdict = PathVerdict.Of(graph);

        Assert.Equal(PathState.Held, verdict.State);
        Assert.Equal(12, verdict.HolderPid);
        Assert.Equal([10, null, 11, null, 12], verdict.Chain.Select(h => h.Pid));
        Assert.EndsWith("nc 12 is stopped by a tracer", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFullChainEndingAtARemotePeerIsWaitingOnThatPeer()
    {
        var tcp = new PathLink
        {
            Channel = "10.0.0.1:40000 → 10.0.0.2:22",
            Kind = ChannelKind.Tcp,
            Writers = [11],
            Readers = [],
            Remote = "10.0.0.2:22",
            Queued = 4_100_000,
            Full = true,
            Cookies = [42],
        };
        var graph = new PathGraph([10],
            [Process(10, "rsync", RunState.Sleeping, new BlockedCall("write", 4)), Process(11, "ssh", RunState.Sleeping, Poll, "do_sys_poll")],
            [Pipe(10, 11, full: true), tcp], TcpSockets: 1);

        var verdict = PathVerdict.Of(graph);

        Assert.Equal(PathState.Waiting, verdict.State);
        Assert.Equal(4, verdict.Chain.Count);
        Assert.Same(tcp, verdict.Chain[^1].Link);
        Assert.Equal("full TCP connection 10.0.0.1:40000 → 10.0.0.2:22 (4.10 MB queued) read by 10.0.0.2:22", verdict.Chain[^1].Text);
        Assert.EndsWith("; the peer 10.0.0.2:22 takes no more data", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFullChainEndingAtARunningLocalReaderIsWaitingOnIt()
    {
        var graph = new PathGraph([10],
            [Process(10, "pg_dump", RunState.Sleeping, new BlockedCall("write", 1)), Process(11, "ssh", RunState.Sleeping, Poll, "do_sys_poll")],
            [Pipe(10, 11, full: true)], TcpSockets: 1);

        var verdict = PathVerdict.Of(graph);

        Assert.Equal(PathState.Waiting, verdict.State);
        Assert.Equal(11, verdict.HolderPid);
        Assert.EndsWith("; ssh 11 waits in poll(…) at do_sys_poll", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingFullAndNobodyStoppedIsIdle()
    {
        var graph = new PathGraph([10], [Process(10, "rsync", RunState.Sleeping, Poll), Process(11, "ssh", RunState.Running)], [Pipe(10, 11, full: false)], TcpSockets: 2);

        var verdict = PathVerdict.Of(graph);

        Assert.Equal(PathState.Idle, verdict.State);
        Assert.Null(verdict.HolderPid);
        Assert.Empty(verdict.Chain);
    }

    [Fact]
    public void ATargetWithNoSocketsAndNoPipesIsNoNetworkNamingWhatItWaitsOn()
    {
        var graph = new PathGraph([5], [Process(5, "sleep", RunState.Sleeping, new BlockedCall("clock_nanosleep", null), "hrtimer_nanosleep")], [], TcpSockets: 0);

        var verdict = PathVerdict.Of(graph);

        Assert.Equal(PathState.NoNetwork, verdict.State);
        Assert.Equal("no network path found from sleep 5: it waits in clock_nanosleep(…) at hrtimer_nanosleep; it shares no pipe or unix socket with another process", verdict.Message);
    }

    [Fact]
    public void PipesThatReachNoTcpSocketAreNoNetworkEvenWithAStoppedProcessOnThem()
    {
        var graph = new PathGraph([10],
            [Process(10, "tar", RunState.Sleeping, new BlockedCall("write", 1), "pipe_write"), Process(11, "gzip", RunState.Stopped), Process(12, "cat", RunState.Sleeping)],
            [Pipe(10, 11, full: true, inode: 7), Pipe(11, 12, full: false, inode: 8)], TcpSockets: 0);

        var verdict = PathVerdict.Of(graph);

        Assert.Equal(PathState.NoNetwork, verdict.State);
        Assert.Equal(11, verdict.HolderPid);
        Assert.Equal("no network path found from tar 10: it waits in write(fd 1) at pipe_write; its pipes and unix sockets reach 2 other process(es), none with a TCP socket; on its path gzip 11 is stopped by a signal (SIGSTOP/SIGTSTP)",
            verdict.Message);
    }

    [Fact]
    public void ATargetThatExitedBeforeTheGraphIsNoNetworkAndSaysSo()
    {
        var verdict = PathVerdict.Of(new PathGraph([10], [], [], TcpSockets: 0));

        Assert.Equal(PathState.NoNetwork, verdict.State);
        Assert.Equal("no process left to follow: the target exited", verdict.Message);
    }

    [Fact]
    public void ATargetThatExitedLeavingItsParentIsNotReportedAsTheParent()
    {
        var verdict = PathVerdict.Of(new PathGraph([], [Process(1, "bash", RunState.Sleeping, new BlockedCall("wait4", null))], [], TcpSockets: 0));

        Assert.Equal(PathState.NoNetwork, verdict.State);
        Assert.Equal("no process left to follow: the target exited", verdict.Message);
    }
}
