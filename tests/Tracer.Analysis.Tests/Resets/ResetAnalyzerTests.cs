using System.Net;
using System.Net.Sockets;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Resets;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests.Resets;

/// <summary>The incident of CASES.md (incident 3) as the kernel reports it, replayed into the analysis.</summary>
public sealed class ResetAnalyzerTests
{
    private const ulong Ms = 1_000_000;
    private const ushort Port = 80;
    private const ulong Group = 0xffff8880_1234_5600;
    private const ulong ServerInode = 100_001;
    private const ulong GhostInode = 200_002;

    [Fact]
    public void AGhostThatJoinedTheServersGroupAndExitedWithAQueueIsNamedWithItsResetsAndTheServer()
    {
        var (analyzer, sink) = Analyzer();
        analyzer.Observe(Server());
        analyzer.Observe(Ghost(birthMs: 1000, listenMs: 1001));
        Close(analyzer, GhostInode, 2200, acceptQueue: 3, synQueue: 0);
        for (var i = 0; i < 3; i++)
        {
            analyzer.Observe(QueuedChildReset(2200, GhostInode, (ushort)(40000 + i)));
        }

        analyzer.Observe(Gone(GhostInode, 2201));

        var finding = Assert.IsType<ListenerResetFinding>(Assert.Single(sink.Findings));
        Assert.Equal(4242, finding.Listener.Pid);
        Assert.Equal(3, finding.ResetConnections);
        Assert.Equal(0, finding.SynQueueResets);
        Assert.True(finding.Ghost);
        Assert.Equal(1200 * Ms, finding.LifetimeNs);
        Assert.Equal(100, Assert.Single(finding.Members).Pid);
        Assert.StartsWith("RST × 3 on [::]:80: the kernel reset 3 connections queued on a listener of `nginx` pid 4242 (`nginx -t`), which closed 1.2s after it joined the SO_REUSEPORT group of `nginx` pid 100", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, true, " without accepting any (a ghost listener")]
    [InlineData(2u, false, " after accepting 2 others")]
    public void AListenerThatAcceptedConnectionsIsNotAGhost(uint accepted, bool ghost, string says)
    {
        var (analyzer, sink) = Analyzer();
        analyzer.Observe(Server());
        analyzer.Observe(Ghost(birthMs: 1000, listenMs: 1001));
        Close(analyzer, GhostInode, 2200, acceptQueue: 1, synQueue: 0, accepted);
        analyzer.Observe(QueuedChildReset(2200, GhostInode, 40000));
        analyzer.Observe(Gone(GhostInode, 2201));

        var finding = Assert.IsType<ListenerResetFinding>(Assert.Single(sink.Findings));
        Assert.Equal(accepted, finding.Accepted);
        Assert.Equal(ghost, finding.Ghost);
        Assert.Contains(says, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AListenerOlderThanTheTraceHasNoKnownAcceptedCount()
    {
        var (analyzer, sink) = Analyzer();
        analyzer.Observe(Server());
        Close(analyzer, ServerInode, 2200, acceptQueue: 1, synQueue: 0, accepted: 5);
        analyzer.Observe(QueuedChildReset(2200, ServerInode, 40000));
        analyzer.Observe(Gone(ServerInode, 2201));

        var finding = Assert.IsType<ListenerResetFinding>(Assert.Single(sink.Findings));
        Assert.Null(finding.Accepted);
        Assert.Contains(" without accepting them", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SynQueueStragglersAnsweredByTheServersListenerAreTheGhostsNotTheServers()
    {
        var (analyzer, sink) = Analyzer();
        analyzer.Observe(Server());
        analyzer.Observe(Ghost(birthMs: 1000, listenMs: 1001));
        Close(analyzer, GhostInode, 2200, acceptQueue: 3, synQueue: 1);
        for (var i = 0; i < 3; i++)
        {
            analyzer.Observe(QueuedChildReset(2200, GhostInode, (ushort)(40000 + i)));
        }

        analyzer.Observe(Gone(GhostInode, 2201));
        Assert.Empty(sink.Findings); // one handshake of its SYN queue is still to come
        analyzer.Observe(ListenerAnswer(3000, 41000));

        var finding = Assert.IsType<ListenerResetFinding>(Assert.Single(sink.Findings));
        Assert.Equal((3, 1), (finding.ResetConnections, finding.SynQueueResets));
        Assert.Equal(100, Assert.Single(finding.AnsweredBy).Pid);
        Assert.EndsWith("1 more handshake in its SYN queue was answered by pid 100's listener with a RST (a ghost listener: it joined the group briefly and never served it)", finding.Message, StringComparison.Ordinal);
        analyzer.Flush(4000 * Ms);
        Assert.Single(sink.Findings); // the straggler is not counted again by reason
    }

    [Fact]
    public void TheSameReasonOutsideAListenersCloseIsCountedByReasonAndNeverCalledAGhost()
    {
        var (analyzer, sink) = Analyzer();
        analyzer.Observe(Server());
        // ss -K or a user abort: TCP_STATE in a task, with no listener closing
        analyzer.Observe(QueuedChildReset(500, closingListener: 0, peerPort: 40000));
        analyzer.Observe(new RstSample(600 * Ms, Tuple(9, 40001), RstReason.NoSocket, 0, OutsideTask: true, 0, "swapper/0", 0));
        analyzer.Observe(new RstSample(700 * Ms, Tuple(Port, 40002), RstReason.AbortOnLinger, TcpState.Established, OutsideTask: false, 100, "nginx", 0));
        analyzer.Tick(11_000 * Ms);

        Assert.DoesNotContain(sink.Findings, f => f.Kind == FindingKind.ListenerReset);
        var counts = sink.Findings.Cast<ResetsFinding>().Select(f => (f.Port, f.Reason, f.Count)).ToList();
        Assert.Equal([((ushort)9, RstReason.NoSocket, 1L), (Port, RstReason.AbortOnLinger, 1L), (Port, RstReason.TcpState, 1L)], counts);
    }

    [Fact]
    public void AListenerThatClosesWithQueuedConnectionsMigratedRaisesNothing()
    {
        var (analyzer, sink) = Analyzer();
        analyzer.Observe(Server());
        analyzer.Observe(Ghost(birthMs: 1000, listenMs: 1001));
        Close(analyzer, GhostInode, 2200, acceptQueue: 3, synQueue: 0);
        analyzer.Observe(Gone(GhostInode, 2201));
        analyzer.Flush(5000 * Ms);

        Assert.Empty(sink.Findings);
    }

    [Fact]
    public void AServerThatListenedLongBeforeClosingWithAQueueIsReportedButIsNoGhost()
    {
        var (analyzer, sink) = Analyzer();
        analyzer.Observe(Ghost(birthMs: 1000, listenMs: 1001) with { Group = 0 });
        Close(analyzer, GhostInode, 600_000, acceptQueue: 1, synQueue: 0);
        analyzer.Observe(QueuedChildReset(600_000, GhostInode, 40000));
        analyzer.Observe(Gone(GhostInode, 600_001));

        var finding = Assert.IsType<ListenerResetFinding>(Assert.Single(sink.Findings));
        Assert.False(finding.Ghost);
        Assert.Empty(finding.Members);
    }

    [Fact]
    public void PortAndPidFiltersSelectListenerFindings()
    {
        var (analyzer, sink) = Analyzer(new ResetAnalyzerOptions { Pid = 100 });
        analyzer.Observe(Server());
        analyzer.Observe(Ghost(birthMs: 1000, listenMs: 1001));
        Close(analyzer, GhostInode, 2200, acceptQueue: 1, synQueue: 0);
        analyzer.Observe(QueuedChildReset(2200, GhostInode, 40000));
        analyzer.Observe(Gone(GhostInode, 2201));

        Assert.Empty(sink.Findings);
    }

    private static (ResetAnalyzer Analyzer, FindingCollector Sink) Analyzer(ResetAnalyzerOptions? options = null)
    {
        var sink = new FindingCollector();
        return (new ResetAnalyzer(sink, options ?? new ResetAnalyzerOptions()), sink);
    }

    private static ListenerSample Server() =>
        new(0, ListenerEventKind.Existing, ServerInode, AddressFamily.InterNetworkV6, Port, 100, "nginx") { Group = Group, GroupSize = 1, Command = "nginx: master process" };

    private static ListenerSample Ghost(ulong birthMs, ulong listenMs) =>
        new(listenMs * Ms, ListenerEventKind.Listen, GhostInode, AddressFamily.InterNetworkV6, Port, 4242, "nginx") { Group = Group, GroupSize = 2, BirthNs = birthMs * Ms, Command = "nginx -t" };

    private static void Close(ResetAnalyzer analyzer, ulong inode, ulong atMs, int acceptQueue, int synQueue, uint? accepted = null) =>
        analyzer.Observe(new ListenerSample(atMs * Ms, ListenerEventKind.Close, inode, AddressFamily.InterNetworkV6, Port, 4242, "nginx")
        {
            AcceptQueue = acceptQueue, SynQueue = synQueue, Accepted = accepted,
        });

    private static ListenerSample Gone(ulong inode, ulong atMs) => new(atMs * Ms, ListenerEventKind.Gone, inode, AddressFamily.InterNetworkV6, Port, 4242, "nginx");

    /// <summary>tcp_send_active_reset() of a queued child, in the task closing the listener.</summary>
    private static RstSample QueuedChildReset(ulong atMs, ulong closingListener, ushort peerPort) =>
        new(atMs * Ms, Tuple(Port, peerPort), RstReason.TcpState, TcpState.Close, OutsideTask: false, 4242, "nginx", closingListener);

    /// <summary>The client's next segment found no request: the server's listener answers it in softirq.</summary>
    private static RstSample ListenerAnswer(ulong atMs, ushort peerPort) =>
        new(atMs * Ms, Tuple(Port, peerPort), RstReason.TcpFlags, TcpState.Listen, OutsideTask: true, 0, "swapper/1", 0, SendingListener: ServerInode);

    private static Endpoints Tuple(ushort local, ushort peer) => Endpoints.FromAddresses(IPAddress.IPv6Loopback, local, IPAddress.IPv6Loopback, peer);
}
