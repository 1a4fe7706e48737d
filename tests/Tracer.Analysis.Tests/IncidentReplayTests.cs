using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

/// <summary>Replays the rsync hang (Fixtures/incident-rsync.jsonl) and checks every finding.</summary>
public sealed class IncidentReplayTests
{
    private const ulong T0 = 7_200_000_000_000;

    private static List<ConnectionFinding> Replay() => Analysis.Run(Fixtures.Read(Fixtures.PathOf("incident-rsync.jsonl")));

    [Fact]
    public void FindingsComeInOrder()
    {
        Assert.Equal(
            [
                FindingKind.Wl1Lag, FindingKind.Wl1Lag, FindingKind.ZeroWindowStart,
                FindingKind.WindowUpdateIgnored, FindingKind.Stuck, FindingKind.WindowUpdateIgnored,
                FindingKind.ZeroWindowOpen,
            ],
            Replay().Select(f => f.Kind));
    }

    [Fact]
    public void Wl1LagWarnsThenGoesCriticalBeforeTheZeroWindow()
    {
        var findings = Replay();
        var lags = findings.OfType<Wl1LagFinding>().ToList();
        var start = findings.OfType<ZeroWindowStartFinding>().Single();

        Assert.Equal([Severity.Warning, Severity.Critical], lags.Select(l => l.Severity));
        Assert.Equal(1_320_000_000UL, lags[0].Wl1LagBytes);
        Assert.Equal(1UL << 30, lags[0].ThresholdBytes);
        Assert.Equal(2_640_000_000UL, lags[1].Wl1LagBytes);
        Assert.True(lags[1].WrapDistance < 0);
        Assert.All(lags, l => Assert.True(l.TimestampNs < start.TimestampNs));
        Assert.Equal(
            "snd_wl1 has not moved for 2.64 GB received (≥ 2 GiB), wrapped: seg_seq − snd_wl1 = -1654967296; "
            + "a window the peer reopens now will be ignored; Linux fast-path bug fixed by 18ded910b589",
            lags[1].Message);
    }

    [Fact]
    public void ZeroWindowStartsWhenDataIsQueued()
    {
        var start = Replay().OfType<ZeroWindowStartFinding>().Single();

        Assert.Equal(ZeroWindowTrigger.DataQueued, start.Trigger);
        Assert.Equal(T0, start.ZeroSinceNs);
        Assert.Equal(392827U, start.Unsent);
        Assert.Equal("393 kB unsent and 0 B in flight wait while the send window has been 0 for 35.2s", start.Message);
    }

    [Fact]
    public void ReopeningWindowIsIgnored()
    {
        var ignored = Replay().OfType<WindowUpdateIgnoredFinding>().First();

        Assert.Equal(1253278418U, ignored.SegSeq);
        Assert.Equal(1708927328U, ignored.SndWl1);
        Assert.Equal(4212361596U, ignored.SegAck);
        Assert.Equal(4212361596U, ignored.SndUna);
        Assert.Equal(1770368UL, ignored.Nwin);
        Assert.Equal(0U, ignored.SndWnd);
        Assert.Equal(3839318386UL, ignored.Wl1LagBytes);
        Assert.Equal(-455648910, ignored.WrapDistance);
        Assert.Equal(IgnoreCause.Wl1Wrapped, ignored.Cause);
    }

    [Fact]
    public void StuckExplainsTheHang()
    {
        var stuck = Replay().OfType<StuckFinding>().Single();

        Assert.Equal(
            "send window 0 for 4h31m; peer advertises 1.77 MB (13831<<7); ignored because snd_wl1 lags the peer's sequence "
            + "by 3.84 GB (≥ 2 GiB, wrapped); Linux fast-path bug fixed by 18ded910b589",
            stuck.Message);
        Assert.Equal(T0, stuck.ZeroSinceNs);
        Assert.Equal(16_280_000_000_000UL, stuck.DurationNs);
        Assert.False(stuck.DurationIsLowerBound);
        Assert.Equal(4711, stuck.Pid);
        Assert.Equal("rsync", stuck.Comm);
        Assert.Equal("192.168.10.5", stuck.Endpoints.Peer.ToString());
        Assert.Equal(873, stuck.Endpoints.PeerPort);
    }

    [Fact]
    public void OpenEpisodeIsReportedAtTheEnd()
    {
        var open = Replay().OfType<ZeroWindowOpenFinding>().Single();

        Assert.True(open.Stuck);
        Assert.Equal(TrackingEnd.EndOfTrace, open.End);
        Assert.Equal(Severity.Critical, open.Severity);
        Assert.Equal(2, open.Episode.IgnoredUpdates);
        Assert.Equal(1, open.Episode.MaxProbesOut);
        Assert.Equal(15, open.Episode.MaxBackoff);
        Assert.Equal([0UL, 1770368UL], open.Episode.AdvertisedWindows);
        Assert.Equal(1770368UL, open.Episode.MaxAdvertisedWindow);
    }

    [Fact]
    public void LiveViewShowsTheStuckConnection()
    {
        var analyzer = new TcpWindowAnalyzer(new FindingCollector());
        using var source = SampleSource.Open(Fixtures.PathOf("incident-rsync.jsonl"));
        foreach (var sample in source.ReadAll())
        {
            analyzer.Observe(sample);
        }

        var view = Assert.Single(analyzer.Connections);
        Assert.Equal(WindowState.Stuck, view.State);
        Assert.Equal(0UL, view.SndWnd);
        Assert.Equal(3839318386UL, view.Wl1LagBytes);
        Assert.Equal(Severity.Critical, view.Wl1LagLevel);
        Assert.Equal(T0, view.ZeroWindowSinceNs);
        Assert.Equal("rsync", view.Comm);
        Assert.Equal(15, view.Backoff);
        Assert.Equal(2, view.IgnoredUpdates);
    }
}
