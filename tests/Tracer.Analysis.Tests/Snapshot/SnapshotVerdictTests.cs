using System.Net;
using System.Text;
using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests.Snapshot;

/// <summary>The verdict <c>tracer attach</c> gives from a single snapshot, and how the live phase settles it.</summary>
public sealed class SnapshotVerdictTests
{
    private const ulong Second = 1_000_000_000;
    private const ulong Now = 20_000 * Second;

    /// <summary>The rsync client of CASES.md §1 as the tcp iterator would see it, with snd_wl1 not (yet) wrapped.</summary>

    [Fact]
    public void ZeroWindowWithDataWaitingAsksForThePeersNextAnswer()
    {
        var verdict = SnapshotVerdict.Of(SnapshotSockets.ZeroWindowClient());

        Assert.Equal(SnapshotProblem.ZeroWindow, verdict.Problem);
        Assert.True(verdict.NeedsPeerAnswer);
        Assert.Equal(
            "zero window with 393 kB unsent, no data sent for 4h31m (window 0 for at least 4.0s, since the last ACK); "
            + "persist timer firing (backoff 15, 0 probe(s) unanswered, next probe in 1m56s); "
            + "snd_wl1 lag 278 kB (< 2 GiB, updates can be accepted); the next peer answer will tell whether the kernel ignores it",
            verdict.Message);
    }

    [Fact]
    public void ZeroWindowWithWrappedWl1IsStuckFromTheSnapshotAlone()
    {
        // the incident's numbers: snd_wl1 1708927328 while the peer is at 1253278418
        var socket = SnapshotSockets.ZeroWindowClient() with { SndWl1 = 1708927328 };

        var verdict = SnapshotVerdict.Of(socket);

        Assert.True(socket.Wl1Wrapped);
        Assert.Equal(SnapshotProblem.Stuck, verdict.Problem);
        Assert.Equal(Severity.Critical, verdict.Severity);
        Assert.Contains("snd_wl1 lags rcv_nxt by 3.84 GB (≥ 2 GiB, wrapped)", verdict.Message, StringComparison.Ordinal);
        Assert.Contains("18ded910b589", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheAnalyzerDatesTheZeroWindowAtLeastToTheLastAck()
    {
        var sink = new FindingCollector();
        var analyzer = new TcpWindowAnalyzer(sink, new TcpWindowAnalyzerOptions { IdleTimeout = TimeSpan.FromDays(365) });

        foreach (var sample in SnapshotSockets.ZeroWindowClient().ToSamples())
        {
            analyzer.Observe(sample);
        }

        var start = Assert.IsType<ZeroWindowStartFinding>(Assert.Single(sink.Findings));
        Assert.Equal(ZeroWindowTrigger.DataQueued, start.Trigger);
        Assert.True(start.DurationIsLowerBound);
        Assert.Equal(Now - (4 * Second), start.ZeroSinceNs);
        Assert.Equal(392827U, start.Unsent);
        Assert.Equal("393 kB unsent and 0 B in flight wait while the send window has been 0 for at least 4.0s", start.Message);
    }

    [Fact]
    public void APeerAnswerThatReopensTheWindowSettlesAsRecovered()
    {
        var socket = SnapshotSockets.ZeroWindowClient();
        var (analyzer, outcome) = Judge(socket);
        Assert.False(outcome.IsSettled);
        Assert.Equal(AttachVerdict.Unsettled, outcome.Verdict);

        analyzer.Observe(PeerAnswer(socket, Now + (3 * Second)));

        Assert.True(outcome.IsSettled);
        Assert.Equal(AttachVerdict.Recovered, outcome.Verdict);
        Assert.Equal("verdict: recovered — 1 connection(s) left zero window", outcome.Summary(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void APeerAnswerTheKernelIgnoresSettlesAsStuck()
    {
        var socket = SnapshotSockets.ZeroWindowClient() with { SndWl1 = 1708927328 };
        var (analyzer, outcome) = Judge(socket);
        Assert.Equal(AttachVerdict.Stuck, outcome.Verdict); // predicted from snd_wl1
        Assert.False(outcome.IsSettled);

        analyzer.Observe(PeerAnswer(socket, Now + (116 * Second)));

        Assert.True(outcome.IsSettled);
        Assert.Equal(AttachVerdict.Stuck, outcome.Verdict);
        Assert.Single(outcome.StuckConnections);
    }

    [Fact]
    public void AHealthySnapshotIsSettledAtOnce()
    {
        var idle = SnapshotSockets.ZeroWindowClient() with { SndWnd = 64_000, WriteSeq = 4212361596, SndWl1 = 1253278418, Timer = SnapshotTimer.Keepalive, Pending = PendingTimer.None };
        var listener = new SnapshotSocket { State = TcpState.Listen, Cookie = 2 };

        Assert.Equal(SnapshotProblem.None, SnapshotVerdict.Of(idle).Problem);
        Assert.StartsWith("ok: idle, send window 64.0 kB", SnapshotVerdict.Of(idle).Message, StringComparison.Ordinal);
        Assert.Equal("listening", SnapshotVerdict.Of(listener).Message);
        Assert.Empty(listener.ToSamples());
        var (_, outcome) = Judge(idle, listener);
        Assert.True(outcome.IsSettled);
        Assert.Equal(AttachVerdict.Normal, outcome.Verdict);
    }

    [Fact]
    public void AReceiverThatDoesNotReadIsNamed()
    {
        var receiver = SnapshotSockets.ZeroWindowClient() with
        {
            SndWnd = 64_000,
            WriteSeq = 4212361596,
            CopiedSeq = 1253278418 - 2_000_000,
            RcvWup = 1253278418,
            RcvWnd = 0,
        };

        var verdict = SnapshotVerdict.Of(receiver);

        Assert.Equal(SnapshotProblem.ReceiverNotReading, verdict.Problem);
        Assert.StartsWith("advertises a zero receive window to the peer: 2.00 MB received and not read by the application", verdict.Message, StringComparison.Ordinal);
    }

    private static (TcpWindowAnalyzer Analyzer, SnapshotOutcome Outcome) Judge(params SnapshotSocket[] sockets)
    {
        var outcome = new SnapshotOutcome(new FindingCollector());
        var analyzer = new TcpWindowAnalyzer(outcome, new TcpWindowAnalyzerOptions { IdleTimeout = TimeSpan.FromDays(365) });
        foreach (var socket in sockets)
        {
            foreach (var sample in socket.ToSamples())
            {
                analyzer.Observe(sample);
            }

            if (SnapshotVerdict.Of(socket).Problem == SnapshotProblem.Stuck)
            {
                outcome.PredictedStuck(socket.Cookie);
            }
        }

        return (analyzer, outcome);
    }

    /// <summary>The peer answers a zero-window probe with a reopened window: 13831 &lt;&lt; 7 = 1.77 MB.</summary>
    private static TcpSample PeerAnswer(SnapshotSocket s, ulong timestampNs) => new()
    {
        TimestampNs = timestampNs,
        Cookie = s.Cookie,
        Pid = s.Pid,
        Comm = s.Comm,
        Endpoints = s.Endpoints,
        SndUna = s.SndUna,
        SndNxt = s.SndNxt,
        SndWnd = 0,
        SndWl1 = s.SndWl1,
        RcvNxt = s.RcvNxt,
        BytesReceived = s.BytesReceived,
        BytesAcked = s.BytesAcked,
        SegSeq = s.RcvNxt,
        SegAck = s.SndUna,
        SegWin = 13831,
        SndWscale = 7,
        Pending = PendingTimer.Persist,
        Backoff = s.Backoff,
        Unsent = s.Unsent,
    };
}
