using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

public sealed class ZeroWindowEpisodeTests
{
    private const ulong T = 1000 * Samples.Second;

    /// <summary>The peer closes its window on 4 kB in flight and 60 kB unsent, then answers probes and reopens.</summary>
    private static List<TcpSample> Episode()
    {
        var closing = Samples.Connection() with { SndNxt = 9096, Unsent = 60_000, SegAck = 9096, SegWin = 0 };
        var waiting = closing with
        {
            SndUna = 9096,
            SndWnd = 0,
            SndWl1 = closing.SegSeq,
            Pending = PendingTimer.Persist,
        };
        return
        [
            Samples.Connection() with { SndNxt = 9096, Unsent = 60_000 },
            closing with { TimestampNs = T + Samples.Second },
            waiting with { TimestampNs = T + (2 * Samples.Second), ProbesOut = 1, Backoff = 1 },
            waiting with { TimestampNs = T + (4 * Samples.Second), ProbesOut = 3, Backoff = 3 },
            waiting with { TimestampNs = T + (6 * Samples.Second), ProbesOut = 1, Backoff = 4 },
            waiting with { TimestampNs = T + (126 * Samples.Second), ProbesOut = 1, Backoff = 5, SegWin = 256 },
        ];
    }

    [Fact]
    public void StartsWhenTheWindowClosesOnWaitingDataAndEndsWhenItReopens()
    {
        var findings = Analysis.Run(Episode());

        Assert.Equal([FindingKind.ZeroWindowStart, FindingKind.ZeroWindowEnd], findings.Select(f => f.Kind));
        var start = (ZeroWindowStartFinding)findings[0];
        var end = (ZeroWindowEndFinding)findings[1];
        Assert.Equal(T + Samples.Second, start.TimestampNs);
        Assert.Equal(ZeroWindowTrigger.WindowClosed, start.Trigger);
        Assert.Equal(60_000U, start.Unsent);
        Assert.Equal("send window closed to 0 with 60.0 kB unsent and 4.10 kB in flight", start.Message);

        Assert.Equal(T + (126 * Samples.Second), end.TimestampNs);
        Assert.Equal(T + Samples.Second, end.Episode.ZeroSinceNs);
        Assert.Equal(125 * Samples.Second, end.Episode.DurationNs);
        Assert.Equal(3, end.Episode.MaxProbesOut);
        Assert.Equal(5, end.Episode.MaxBackoff);
        Assert.Equal([0UL, 32768UL], end.Episode.AdvertisedWindows);
        Assert.Equal(32768UL, end.Episode.MaxAdvertisedWindow);
        Assert.Equal(0, end.Episode.IgnoredUpdates);
        Assert.Equal(32768UL, end.NewWindow);
        Assert.Equal(
            "send window reopened to 32.8 kB after 2m05s; max probes_out 3, max backoff 5; peer advertised 0 B, 32.8 kB; 0 window update(s) ignored",
            end.Message);
    }

    [Fact]
    public void SamplesLostDuringAnEpisodeMarkItsFindingsPossiblyIncomplete()
    {
        var episode = Episode();
        episode[3] = episode[3] with { LostBefore = 7 };
        var findings = Analysis.Run(episode);

        var end = Assert.IsType<ZeroWindowEndFinding>(findings[^1]);
        Assert.True(end.PossiblyIncomplete);
        Assert.Equal(7UL, end.LostSamples);
        Assert.False(findings[0].PossiblyIncomplete, "the start was reported before the loss");
    }

    [Fact]
    public void LossesBeforeAnEpisodeDoNotMarkIt()
    {
        var episode = Episode();
        episode[0] = episode[0] with { LostBefore = 3 };
        var findings = Analysis.Run(episode);

        Assert.All(findings, f => Assert.False(f.PossiblyIncomplete, f.Kind.Name));
    }

    [Fact]
    public void BlipsShorterThanTheReportThresholdAreCountedNotReported()
    {
        var episode = Episode();
        var reopening = episode[^1] with { TimestampNs = episode[1].TimestampNs + (150 * Samples.Millisecond) };
        var sink = new FindingCollector();
        var analyzer = new TcpWindowAnalyzer(sink);
        foreach (var s in episode.Take(2).Append(reopening))
        {
            analyzer.Observe(s);
        }

        analyzer.Flush(analyzer.LastTimestampNs);
        Assert.Empty(sink.Findings);
        Assert.Equal(1, analyzer.ShortEpisodes);
    }

    [Fact]
    public void TickReportsAStallThatSendsNoFurtherSegment()
    {
        var episode = Episode();
        var sink = new FindingCollector();
        var analyzer = new TcpWindowAnalyzer(sink);
        analyzer.Observe(episode[0]);
        analyzer.Observe(episode[1]);
        analyzer.Tick(episode[1].TimestampNs + (100 * Samples.Millisecond));
        Assert.Empty(sink.Findings);

        analyzer.Tick(episode[1].TimestampNs + (250 * Samples.Millisecond));
        var start = Assert.IsType<ZeroWindowStartFinding>(Assert.Single(sink.Findings));
        Assert.Equal(episode[1].TimestampNs, start.TimestampNs);
    }

    [Fact]
    public void ZeroThresholdReportsEveryEpisodeAtOnce()
    {
        var episode = Episode();
        var findings = Analysis.Run(episode.Take(2), new TcpWindowAnalyzerOptions { ZeroWindowReportAfter = TimeSpan.Zero });
        Assert.Equal(FindingKind.ZeroWindowStart, findings[0].Kind);
    }

    [Fact]
    public void NoEpisodeWhenNothingWaits()
    {
        var idle = Samples.Connection() with { SegWin = 0 };
        var findings = Analysis.Run(
        [
            idle,
            idle with { TimestampNs = T + Samples.Second, SndWnd = 0, SndWl1 = idle.SegSeq },
            idle with { TimestampNs = T + (2 * Samples.Second), SndWnd = 0, SndWl1 = idle.SegSeq, SegWin = 512 },
        ]);

        Assert.Empty(findings);
    }

    [Fact]
    public void DataQueuedOnAClosedWindowStartsAnEpisode()
    {
        var closed = Samples.Connection() with { SndWnd = 0, SegWin = 0, SndWl1 = 1_000_000 };
        var sink = new FindingCollector();
        var analyzer = new TcpWindowAnalyzer(sink);

        analyzer.Observe(closed);
        analyzer.Observe(closed with { TimestampNs = T + (3 * Samples.Second), Unsent = 100 });

        var start = Assert.IsType<ZeroWindowStartFinding>(Assert.Single(sink.Findings));
        Assert.Equal(ZeroWindowTrigger.DataQueued, start.Trigger);
        Assert.Equal(T, start.ZeroSinceNs);
        Assert.True(start.DurationIsLowerBound);
        Assert.Equal("100 B unsent and 0 B in flight wait while the send window has been 0 for at least 3.0s", start.Message);
        Assert.Equal(WindowState.ZeroWindow, Assert.Single(analyzer.Connections).State);
    }

    [Fact]
    public void AlreadyZeroAtTheFirstSampleIsALowerBound()
    {
        var stuckBefore = Samples.Connection() with { SndWnd = 0, SegWin = 0, SndWl1 = 1_000_000, Unsent = 10 };

        var findings = Analysis.Run(
            [stuckBefore, stuckBefore with { TimestampNs = T + (5 * Samples.Second), SegWin = 1 }]);

        var start = Assert.IsType<ZeroWindowStartFinding>(findings[0]);
        var end = Assert.IsType<ZeroWindowEndFinding>(findings[1]);
        Assert.Equal(ZeroWindowTrigger.DataQueued, start.Trigger);
        Assert.True(end.Episode.DurationIsLowerBound);
        Assert.StartsWith("send window reopened to 128 B after at least 5.0s;", end.Message);
    }

    [Fact]
    public void ReopeningOnTheFirstSampleIsNoEpisode()
    {
        var reopening = Samples.Connection() with { SndWnd = 0, Unsent = 10 };

        Assert.Empty(Analysis.Run([reopening]));
    }

    [Fact]
    public void OpenEpisodeIsFlushedNotDropped()
    {
        var samples = Episode()[..3];

        var open = Assert.IsType<ZeroWindowOpenFinding>(Analysis.Run(samples)[^1]);
        Assert.False(open.Stuck);
        Assert.Equal(Severity.Warning, open.Severity);
        Assert.Equal(Samples.Second, open.Episode.DurationNs);
        Assert.Equal(TrackingEnd.EndOfTrace, open.End);
        Assert.StartsWith("send window still 0 after 1.0s at the end of the trace; max probes_out 1", open.Message);
    }
}
