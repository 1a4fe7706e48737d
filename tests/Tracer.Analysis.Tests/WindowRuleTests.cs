using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Tests;

public sealed class WindowRuleTests
{
    private static readonly TcpSample Incident = new()
    {
        SndUna = 4212361596,
        SegAck = 4212361596,
        SegSeq = 1253278418,
        SndWl1 = 1708927328,
        SndWnd = 0,
        SegWin = 13831,
        SndWscale = 7,
    };

    [Fact]
    public void IncidentUpdateIsIgnored()
    {
        Assert.Equal(1770368UL, Incident.AdvertisedWindow);
        Assert.False(WindowRule.MayUpdateWindow(Incident));
        Assert.True(WindowRule.IsIgnoredUpdate(Incident));
        Assert.Equal(0UL, WindowRule.WindowAfter(Incident));
    }

    [Fact]
    public void AckForNewDataUpdates()
    {
        var s = Incident with { SegAck = Incident.SndUna + 1 };

        Assert.True(WindowRule.MayUpdateWindow(s));
        Assert.Equal(1770368UL, WindowRule.WindowAfter(s));
    }

    [Fact]
    public void NewerSequenceUpdates() =>
        Assert.True(WindowRule.MayUpdateWindow(Incident with { SegSeq = Incident.SndWl1 + 1 }));

    [Fact]
    public void SameSequenceUpdatesOnlyToBiggerOrZeroWindow()
    {
        var same = Incident with { SegSeq = Incident.SndWl1, SndWnd = 1000 };

        Assert.True(WindowRule.MayUpdateWindow(same with { SegWin = 8 }));
        Assert.True(WindowRule.MayUpdateWindow(same with { SegWin = 0 }));
        Assert.False(WindowRule.MayUpdateWindow(same with { SegWin = 7 }));
        Assert.False(WindowRule.IsIgnoredUpdate(same with { SegWin = 7 }));
    }

    [Fact]
    public void SmallerWindowRejectedIsNotAnIgnoredUpdate()
    {
        var s = Incident with { SndWnd = 2_000_000 };

        Assert.False(WindowRule.MayUpdateWindow(s));
        Assert.False(WindowRule.IsIgnoredUpdate(s));
    }

    [Fact]
    public void SegmentExactlyHalfTheSpaceAheadUpdates() =>
        Assert.True(WindowRule.MayUpdateWindow(Incident with { SegSeq = unchecked(Incident.SndWl1 + 0x8000_0000) }));

    [Theory]
    [InlineData(0UL, IgnoreCause.StaleSegment)]
    [InlineData((1UL << 31) - 1, IgnoreCause.StaleSegment)]
    [InlineData(1UL << 31, IgnoreCause.Wl1Wrapped)]
    [InlineData(3839318386UL, IgnoreCause.Wl1Wrapped)]
    public void ClassifiesByLag(ulong lag, IgnoreCause cause) => Assert.Equal(cause, WindowRule.Classify(lag));
}
