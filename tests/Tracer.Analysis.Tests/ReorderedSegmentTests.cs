using Tracer.Analysis.Findings;

namespace Tracer.Analysis.Tests;

/// <summary>
/// An out-of-order segment moves snd_wl1 ahead of rcv_nxt (tcp_ack_update_window() takes any later
/// seq): on a connection whose snd_wl1 is seen to move, that is reordering, not a 4 GiB lag.
/// </summary>
public sealed class ReorderedSegmentTests
{
    [Fact]
    public void SndWl1AheadOfRcvNxtAfterItMovedIsNotALag()
    {
        var first = Samples.Connection();
        var moved = first with { TimestampNs = first.TimestampNs + Samples.Millisecond, SndWl1 = 1_000_000, RcvNxt = 1_065_536, SegSeq = 1_065_536, BytesReceived = first.BytesReceived + 65_536 };
        // the segment at 1_131_072 arrived before the one at 1_065_536 and moved snd_wl1 past rcv_nxt
        var reordered = moved with { TimestampNs = moved.TimestampNs + Samples.Millisecond, SndWl1 = 1_131_072, BytesReceived = moved.BytesReceived + 65_536 };

        var findings = Analysis.Run([first, moved, reordered]);

        Assert.DoesNotContain(findings, f => f.Kind == FindingKind.Wl1Lag);
    }

    [Fact]
    public void SndWl1AheadOfRcvNxtOnASocketFirstSeenSoIsAWrappedLag()
    {
        // the incident's client as an attach snapshot shows it: snd_wl1 never seen to move
        var stuck = Samples.Connection() with { SndWl1 = 1708927328, RcvNxt = 1253278418, SegSeq = 1253278418 };

        var findings = Analysis.Run([stuck]);

        var lag = Assert.IsType<Wl1LagFinding>(Assert.Single(findings, f => f.Kind == FindingKind.Wl1Lag));
        Assert.Equal(Severity.Critical, lag.Level);
        Assert.Equal(3839318386UL, lag.Wl1LagBytes);
    }
}
