using Tracer.Analysis.Formatting;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Findings;

/// <summary>Why a connection stopped being tracked while a zero-window episode was still open.</summary>
public enum TrackingEnd : byte
{
    EndOfTrace = 0,
    IdleEviction = 1,
    CapacityEviction = 2,
}

/// <summary>What made a zero-window episode start.</summary>
public enum ZeroWindowTrigger : byte
{
    /// <summary>The segment closed the send window while data waited.</summary>
    WindowClosed = 0,

    /// <summary>The send window was already 0 and data now waits.</summary>
    DataQueued = 1,
}

/// <summary>What happened during a zero-window episode, up to its end or the moment of reporting.</summary>
/// <param name="ZeroSinceNs">When the send window was first seen at 0 in this stretch.</param>
/// <param name="DurationNs">How long the send window has been 0, from <paramref name="ZeroSinceNs"/>.</param>
/// <param name="DurationIsLowerBound">The window was already 0 when first seen (in the first sample, or it closed between samples), so it has been 0 longer.</param>
/// <param name="AdvertisedWindows">Distinct scaled windows the peer advertised, in order of appearance, at most <see cref="EpisodeSummary.MaxListedWindows"/>.</param>
/// <param name="IgnoredUpdates">Segments whose bigger window the window rule rejected.</param>
public readonly record struct EpisodeSummary(
    ulong ZeroSinceNs,
    ulong DurationNs,
    bool DurationIsLowerBound,
    byte MaxProbesOut,
    byte MaxBackoff,
    IReadOnlyList<ulong> AdvertisedWindows,
    ulong MaxAdvertisedWindow,
    int IgnoredUpdates)
{
    public const int MaxListedWindows = 8;

    public void Describe(IFindingFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        fields.Add(Fields.ZeroSince, ZeroSinceNs);
        fields.Add(Fields.DurationMs, TimeSpan.FromTicks((long)(DurationNs / 100)));
        fields.Add(Fields.DurationIsLowerBound, DurationIsLowerBound);
        fields.Add(Fields.ProbesOutMax, (ulong)MaxProbesOut);
        fields.Add(Fields.BackoffMax, (ulong)MaxBackoff);
        fields.Add(Fields.AdvertisedWindows, AdvertisedWindows);
        fields.Add(Fields.AdvertisedWindowMax, MaxAdvertisedWindow);
        fields.Add(Fields.IgnoredUpdates, (long)IgnoredUpdates);
    }
}

/// <summary><c>tcp.wl1_lag</c>: snd_wl1 has not moved while this many bytes arrived.</summary>
public sealed record Wl1LagFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    Severity Level, ulong Wl1LagBytes, ulong ThresholdBytes, uint SndWl1, uint SegSeq, uint RcvNxt, int WrapDistance)
    : ConnectionFinding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public override FindingKind Kind => FindingKind.Wl1Lag;

    public override Severity Severity => Level;

    public override string Message => Level == Severity.Critical
        ? $"snd_wl1 has not moved for {Human.Bytes(Wl1LagBytes)} received (≥ 2 GiB){(WrapDistance < 0 ? $", wrapped: seg_seq − snd_wl1 = {WrapDistance}" : "")}; "
          + $"a window the peer reopens now will be ignored; {Explain.FastPathBug}"
        : $"snd_wl1 has not moved for {Human.Bytes(Wl1LagBytes)} received (≥ 1 GiB); "
          + "at 2 GiB new segments compare as older than snd_wl1 and window updates will be ignored";

    protected override void DescribeDetail(IFindingFields fields)
    {
        fields.Add(Fields.Wl1LagBytes, Wl1LagBytes);
        fields.Add(Fields.ThresholdBytes, ThresholdBytes);
        fields.Add(Fields.SndWl1, (ulong)SndWl1);
        fields.Add(Fields.SegSeq, (ulong)SegSeq);
        fields.Add(Fields.RcvNxt, (ulong)RcvNxt);
        fields.Add(Fields.WrapDistance, (long)WrapDistance);
    }
}

/// <summary><c>tcp.window_update_ignored</c>: the segment offered more than snd_wnd and the window rule said no.</summary>
public sealed record WindowUpdateIgnoredFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    uint SegSeq, uint SndWl1, uint SegAck, uint SndUna, ushort SegWin, byte SndWscale, ulong Nwin, uint SndWnd,
    ulong Wl1LagBytes, int WrapDistance, IgnoreCause Cause)
    : ConnectionFinding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public override FindingKind Kind => FindingKind.WindowUpdateIgnored;

    public override Severity Severity => Cause == IgnoreCause.Wl1Wrapped ? Severity.Warning : Severity.Info;

    public override string Message =>
        $"peer advertises {Explain.Window(Nwin, SegWin, SndWscale)} but snd_wnd stays {Human.Bytes(SndWnd)}: "
        + $"ignored because {Explain.Ignore(Cause, Wl1LagBytes, SegSeq, SndWl1, WrapDistance)}";

    protected override void DescribeDetail(IFindingFields fields)
    {
        RejectedUpdate.Segment(fields, SegSeq, SndWl1, SegAck, SndUna, SegWin, SndWscale, Nwin);
        fields.Add(Fields.SndWnd, (ulong)SndWnd);
        RejectedUpdate.Verdict(fields, Wl1LagBytes, WrapDistance, Cause);
    }
}

/// <summary><c>tcp.zero_window.start</c>: the send window is 0 while data waits to be sent.</summary>
public sealed record ZeroWindowStartFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    ZeroWindowTrigger Trigger, ulong ZeroSinceNs, bool DurationIsLowerBound, uint SndUna, uint SndNxt, uint Unsent)
    : ConnectionFinding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public override FindingKind Kind => FindingKind.ZeroWindowStart;

    public override Severity Severity => Severity.Info;

    public override string Message
    {
        get
        {
            var waiting = $"{Human.Bytes(Unsent)} unsent and {Human.Bytes(unchecked(SndNxt - SndUna))} in flight";
            return Trigger == ZeroWindowTrigger.WindowClosed
                ? $"send window closed to 0 with {waiting}"
                : $"{waiting} wait while the send window has been 0 for {Explain.Duration(TimestampNs - Math.Min(TimestampNs, ZeroSinceNs), DurationIsLowerBound)}";
        }
    }

    protected override void DescribeDetail(IFindingFields fields)
    {
        fields.Add(Fields.Trigger, Trigger.Spelling());
        fields.Add(Fields.ZeroSince, ZeroSinceNs);
        fields.Add(Fields.DurationIsLowerBound, DurationIsLowerBound);
        fields.Add(Fields.SndUna, (ulong)SndUna);
        fields.Add(Fields.SndNxt, (ulong)SndNxt);
        fields.Add(Fields.Unsent, (ulong)Unsent);
    }
}

/// <summary><c>tcp.zero_window.end</c>: the send window left 0.</summary>
public sealed record ZeroWindowEndFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    EpisodeSummary Episode, ulong NewWindow)
    : ConnectionFinding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public override FindingKind Kind => FindingKind.ZeroWindowEnd;

    public override Severity Severity => Severity.Info;

    public override string Message =>
        $"send window reopened to {Human.Bytes(NewWindow)} after {Explain.Duration(Episode.DurationNs, Episode.DurationIsLowerBound)}; {Explain.Summary(Episode)}";

    protected override void DescribeDetail(IFindingFields fields)
    {
        Episode.Describe(fields);
        fields.Add(Fields.NewWindow, NewWindow);
    }
}

/// <summary><c>tcp.zero_window.open</c>: tracking ended while the send window was still 0.</summary>
public sealed record ZeroWindowOpenFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    EpisodeSummary Episode, bool Stuck, TrackingEnd End)
    : ConnectionFinding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public override FindingKind Kind => FindingKind.ZeroWindowOpen;

    public override Severity Severity => Stuck ? Severity.Critical : Severity.Warning;

    public override string Message =>
        $"send window still 0 after {Explain.Duration(Episode.DurationNs, Episode.DurationIsLowerBound)} {Explain.TrackingEnd(End)}"
        + $"{(Stuck ? " (stuck: the peer's reopening window was ignored)" : "")}; {Explain.Summary(Episode)}";

    protected override void DescribeDetail(IFindingFields fields)
    {
        Episode.Describe(fields);
        fields.Add(Fields.Stuck, Stuck);
        fields.Add(Fields.TrackingEnd, End.Spelling());
    }
}

/// <summary>
/// <c>tcp.stuck</c>: during a zero-window episode the peer reopened its window and
/// the kernel ignored it. Reported once per episode, at the first such segment.
/// </summary>
public sealed record StuckFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    ulong ZeroSinceNs, ulong DurationNs, bool DurationIsLowerBound,
    uint SegSeq, uint SndWl1, uint SegAck, uint SndUna, ushort SegWin, byte SndWscale, ulong Nwin, uint Unsent,
    ulong Wl1LagBytes, int WrapDistance, IgnoreCause Cause)
    : ConnectionFinding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public override FindingKind Kind => FindingKind.Stuck;

    public override Severity Severity => Severity.Critical;

    public override string Message =>
        $"send window 0 for {Explain.Duration(DurationNs, DurationIsLowerBound)}; "
        + $"peer advertises {Explain.Window(Nwin, SegWin, SndWscale)}; "
        + $"ignored because {Explain.Ignore(Cause, Wl1LagBytes, SegSeq, SndWl1, WrapDistance)}";

    protected override void DescribeDetail(IFindingFields fields)
    {
        fields.Add(Fields.ZeroSince, ZeroSinceNs);
        fields.Add(Fields.DurationMs, TimeSpan.FromTicks((long)(DurationNs / 100)));
        fields.Add(Fields.DurationIsLowerBound, DurationIsLowerBound);
        RejectedUpdate.Segment(fields, SegSeq, SndWl1, SegAck, SndUna, SegWin, SndWscale, Nwin);
        fields.Add(Fields.Unsent, (ulong)Unsent);
        RejectedUpdate.Verdict(fields, Wl1LagBytes, WrapDistance, Cause);
    }
}

/// <summary>The fields both findings about a rejected window update declare, in the same order.</summary>
internal static class RejectedUpdate
{
    /// <summary>The segment the window rule judged, and what the rule compared it with.</summary>
    public static void Segment(IFindingFields fields, uint segSeq, uint sndWl1, uint segAck, uint sndUna, ushort segWin, byte sndWscale, ulong nwin)
    {
        fields.Add(Fields.SegSeq, (ulong)segSeq);
        fields.Add(Fields.SndWl1, (ulong)sndWl1);
        fields.Add(Fields.SegAck, (ulong)segAck);
        fields.Add(Fields.SndUna, (ulong)sndUna);
        fields.Add(Fields.SegWin, (ulong)segWin);
        fields.Add(Fields.SndWscale, (ulong)sndWscale);
        fields.Add(Fields.Nwin, nwin);
    }

    /// <summary>Why the rule said no.</summary>
    public static void Verdict(IFindingFields fields, ulong wl1LagBytes, int wrapDistance, IgnoreCause cause)
    {
        fields.Add(Fields.Wl1LagBytes, wl1LagBytes);
        fields.Add(Fields.WrapDistance, (long)wrapDistance);
        fields.Add(Fields.Cause, cause.Spelling());
    }
}
