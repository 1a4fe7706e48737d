using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

public sealed class StaleSegmentTests
{
    private const ulong T = 1000 * Samples.Second;

    [Fact]
    public void RetransmittedSegmentWithBiggerWindowIsExplainedAsStale()
    {
        // snd_wl1 moved to 1_000_000 a moment ago; a retransmission of data 4096 bytes older
        // arrives with a bigger window. The rule rightly refuses it: it is not the fast-path bug.
        var current = Samples.Connection() with { SndWl1 = 1_000_000, RcvNxt = 1_010_000, SegSeq = 1_010_000 };
        var stale = current with
        {
            TimestampNs = T + 1_000_000,
            BytesReceived = current.BytesReceived + 10_000,
            SegSeq = 1_000_000 - 4096,
            SegWin = 1024,
        };

        var findings = Analysis.Run([current, stale]);

        var ignored = Assert.IsType<WindowUpdateIgnoredFinding>(Assert.Single(findings));
        Assert.Equal(IgnoreCause.StaleSegment, ignored.Cause);
        Assert.Equal(-4096, ignored.WrapDistance);
        Assert.Equal(10_000UL, ignored.Wl1LagBytes);
        Assert.Equal(Severity.Info, ignored.Severity);
        Assert.Equal(
            "peer advertises 131 kB (1024<<7) but snd_wnd stays 65.5 kB: ignored because the segment is older than the last window update: "
            + "seg_seq 995904 is 4.10 kB behind snd_wl1 1000000, a retransmitted or reordered segment (snd_wl1 lag 10.0 kB < 2 GiB, not the fast-path bug)",
            ignored.Message);
        Assert.DoesNotContain("18ded910b589", ignored.Message);
    }

    [Fact]
    public void StaleReopeningDuringAnEpisodeIsStuckButNotBlamedOnTheBug()
    {
        var waiting = Samples.Connection() with
        {
            SndWnd = 0,
            SndWl1 = 1_000_000,
            RcvNxt = 1_000_000,
            SegSeq = 1_000_000,
            SegWin = 0,
            Unsent = 500,
        };
        var stale = waiting with { TimestampNs = T + (2 * Samples.Second), SegSeq = 999_000, SegWin = 64 };

        var stuck = Assert.Single(Analysis.Run([waiting, stale]).OfType<StuckFinding>());

        Assert.Equal(IgnoreCause.StaleSegment, stuck.Cause);
        Assert.Equal(
            "send window 0 for at least 2.0s; peer advertises 8.19 kB (64<<7); ignored because the segment is older than the last window update: "
            + "seg_seq 999000 is 1.00 kB behind snd_wl1 1000000, a retransmitted or reordered segment (snd_wl1 lag 0 B < 2 GiB, not the fast-path bug)",
            stuck.Message);
    }

    [Fact]
    public void WrappedSndWl1SeenAtTheFirstSampleStillCountsAsLag()
    {
        // Tracing starts mid-hang: no move of snd_wl1 was ever seen, but snd_wl1 lies ahead of
        // rcv_nxt, which only a lag of 2 GiB or more can explain.
        var hung = Samples.Connection() with
        {
            SndUna = 4212361596,
            SndNxt = 4212361596,
            SegAck = 4212361596,
            SndWnd = 0,
            SndWl1 = 1708927328,
            RcvNxt = 1253278418,
            SegSeq = 1253278418,
            SegWin = 13831,
            Unsent = 392827,
        };

        var findings = Analysis.Run([hung]);

        Assert.Equal(
            [FindingKind.Wl1Lag, FindingKind.ZeroWindowStart, FindingKind.WindowUpdateIgnored, FindingKind.Stuck, FindingKind.ZeroWindowOpen],
            findings.Select(f => f.Kind));
        var stuck = findings.OfType<StuckFinding>().Single();
        Assert.Equal(3839318386UL, stuck.Wl1LagBytes);
        Assert.Equal(
            "send window 0 for at least 0ms; peer advertises 1.77 MB (13831<<7); ignored because snd_wl1 lags the peer's sequence "
            + "by 3.84 GB (≥ 2 GiB, wrapped); Linux fast-path bug fixed by 18ded910b589",
            stuck.Message);
    }

    [Fact]
    public void KernelReportedMoveIsAuthoritative()
    {
        var sample = Samples.Connection() with { BytesReceived = 5_000_000_000, Wl1MovedAtBytesReceived = 5_000_000_000 - (3UL << 29) };

        var lag = Assert.IsType<Wl1LagFinding>(Assert.Single(Analysis.Run([sample])));

        Assert.Equal(Severity.Warning, lag.Severity);
        Assert.Equal(3UL << 29, lag.Wl1LagBytes);
    }
}
