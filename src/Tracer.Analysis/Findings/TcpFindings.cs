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
}

/// <summary><c>tcp.wl1_lag</c>: snd_wl1 has not moved while this many bytes arrived.</summary>
public sealed record Wl1LagFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    Severity Level, ulong Wl1LagBytes, ulong ThresholdBytes, uint SndWl1, uint SegSeq, uint RcvNxt, int WrapDistance)
    : Finding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public const string KindName = "tcp.wl1_lag";

    public override string Kind => KindName;

    public override Severity Severity => Level;

    public override string Message => Level == Severity.Critical
        ? $"snd_wl1 has not moved for {Human.Bytes(Wl1LagBytes)} received (≥ 2 GiB){(WrapDistance < 0 ? $", wrapped: seg_seq − snd_wl1 = {WrapDistance}" : "")}; "
          + $"a window the peer reopens now will be ignored; {Explain.FastPathBug}"
        : $"snd_wl1 has not moved for {Human.Bytes(Wl1LagBytes)} received (≥ 1 GiB); "
          + "at 2 GiB new segments compare as older than snd_wl1 and window updates will be ignored";
}

/// <summary><c>tcp.window_update_ignored</c>: the segment offered more than snd_wnd and the window rule said no.</summary>
public sealed record WindowUpdateIgnoredFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    uint SegSeq, uint SndWl1, uint SegAck, uint SndUna, ushort SegWin, byte SndWscale, ulong Nwin, uint SndWnd,
    ulong Wl1LagBytes, int WrapDistance, IgnoreCause Cause)
    : Finding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public const string KindName = "tcp.window_update_ignored";

    public override string Kind => KindName;

    public override Severity Severity => Cause == IgnoreCause.Wl1Wrapped ? Severity.Warning : Severity.Info;

    public override string Message =>
        $"peer advertises {Explain.Window(Nwin, SegWin, SndWscale)} but snd_wnd stays {Human.Bytes(SndWnd)}: "
        + $"ignored because {Explain.Ignore(Cause, Wl1LagBytes, SegSeq, SndWl1, WrapDistance)}";
}

/// <summary><c>tcp.zero_window.start</c>: the send window is 0 while data waits to be sent.</summary>
public sealed record ZeroWindowStartFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    ZeroWindowTrigger Trigger, ulong ZeroSinceNs, bool DurationIsLowerBound, uint SndUna, uint SndNxt, uint Unsent)
    : Finding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public const string KindName = "tcp.zero_window.start";

    public override string Kind => KindName;

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
}

/// <summary><c>tcp.zero_window.end</c>: the send window left 0.</summary>
public sealed record ZeroWindowEndFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    EpisodeSummary Episode, ulong NewWindow)
    : Finding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public const string KindName = "tcp.zero_window.end";

    public override string Kind => KindName;

    public override Severity Severity => Severity.Info;

    public override string Message =>
        $"send window reopened to {Human.Bytes(NewWindow)} after {Explain.Duration(Episode.DurationNs, Episode.DurationIsLowerBound)}; {Explain.Summary(Episode)}";
}

/// <summary><c>tcp.zero_window.open</c>: tracking ended while the send window was still 0.</summary>
public sealed record ZeroWindowOpenFinding(
    ulong TimestampNs, ulong Cookie, int Pid, string Comm, Endpoints Endpoints,
    EpisodeSummary Episode, bool Stuck, TrackingEnd End)
    : Finding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public const string KindName = "tcp.zero_window.open";

    public override string Kind => KindName;

    public override Severity Severity => Stuck ? Severity.Critical : Severity.Warning;

    public override string Message =>
        $"send window still 0 after {Explain.Duration(Episode.DurationNs, Episode.DurationIsLowerBound)} {Explain.TrackingEnd(End)}"
        + $"{(Stuck ? " (stuck: the peer's reopening window was ignored)" : "")}; {Explain.Summary(Episode)}";
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
    : Finding(TimestampNs, Cookie, Pid, Comm, Endpoints)
{
    public const string KindName = "tcp.stuck";

    public override string Kind => KindName;

    public override Severity Severity => Severity.Critical;

    public override string Message =>
        $"send window 0 for {Explain.Duration(DurationNs, DurationIsLowerBound)}; "
        + $"peer advertises {Explain.Window(Nwin, SegWin, SndWscale)}; "
        + $"ignored because {Explain.Ignore(Cause, Wl1LagBytes, SegSeq, SndWl1, WrapDistance)}";
}
