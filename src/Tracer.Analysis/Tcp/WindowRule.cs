using Tracer.Analysis.Sequence;

namespace Tracer.Analysis.Tcp;

/// <summary>Why <see cref="WindowRule.MayUpdateWindow(in TcpSample)"/> refused a bigger window.</summary>
public enum IgnoreCause : byte
{
    /// <summary>snd_wl1 stopped following the peer for 2 GiB or more, so every new segment looks older than it.</summary>
    Wl1Wrapped = 1,

    /// <summary>The segment really is older than the one that last updated the window (retransmitted or reordered).</summary>
    StaleSegment = 2,
}

/// <summary>The kernel's decision whether an incoming segment may update the send window.</summary>
public static class WindowRule
{
    /// <summary>Half the sequence space: a wl1 lag this large makes new segments compare as old.</summary>
    public const ulong WrapLagBytes = 1UL << 31;

    /// <summary>
    /// tcp_may_update_window() of current kernels:
    /// <c>after(ack, snd_una) || after(seq, snd_wl1) || (seq == snd_wl1 &amp;&amp; (nwin &gt; snd_wnd || nwin == 0))</c>.
    /// </summary>
    public static bool MayUpdateWindow(in TcpSample s) =>
        MayUpdateWindow(s.SegAck, s.SegSeq, s.AdvertisedWindow, s.SndUna, s.SndWl1, s.SndWnd);

    public static bool MayUpdateWindow(uint segAck, uint segSeq, ulong nwin, uint sndUna, uint sndWl1, uint sndWnd) =>
        SeqNum.After(segAck, sndUna)
        || SeqNum.After(segSeq, sndWl1)
        || (segSeq == sndWl1 && (nwin > sndWnd || nwin == 0));

    /// <summary>The segment offers a bigger window than snd_wnd and the rule throws it away.</summary>
    public static bool IsIgnoredUpdate(in TcpSample s) => s.AdvertisedWindow > s.SndWnd && !MayUpdateWindow(s);

    /// <summary>The send window once the kernel has processed the segment.</summary>
    public static ulong WindowAfter(in TcpSample s) => MayUpdateWindow(s) ? s.AdvertisedWindow : s.SndWnd;

    /// <summary><c>(int)(seg_seq − snd_wl1)</c>: negative when the segment compares as older than snd_wl1.</summary>
    public static int WrapDistance(in TcpSample s) => SeqNum.Distance(s.SegSeq, s.SndWl1);

    /// <summary>
    /// Why an ignored update was ignored, given how many bytes were received since
    /// snd_wl1 last moved. An ignored bigger window always has seg_seq before snd_wl1.
    /// </summary>
    public static IgnoreCause Classify(ulong wl1LagBytes) =>
        wl1LagBytes >= WrapLagBytes ? IgnoreCause.Wl1Wrapped : IgnoreCause.StaleSegment;
}
