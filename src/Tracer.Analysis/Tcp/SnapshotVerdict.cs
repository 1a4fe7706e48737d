using System.Globalization;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;

namespace Tracer.Analysis.Tcp;

/// <summary>What a single snapshot says about a socket, before any live segment is seen.</summary>
public enum SnapshotProblem : byte
{
    None = 0,

    /// <summary>Data waits for the application to read it (informational).</summary>
    Unread = 1,

    /// <summary>snd_wl1 lags by 1 GiB or more while the window is open: a future zero window may become permanent.</summary>
    Wl1Lag = 2,

    /// <summary>Retransmissions go unanswered.</summary>
    Retransmitting = 3,

    /// <summary>This side advertises a zero receive window because the application does not read.</summary>
    ReceiverNotReading = 4,

    /// <summary>Send window 0 with data waiting; the peer's next answer decides.</summary>
    ZeroWindow = 5,

    /// <summary>Send window 0 with data waiting and snd_wl1 wrapped: every window update will be ignored.</summary>
    Stuck = 6,
}

/// <summary>
/// The verdict on one socket from its snapshot alone, in the words of <c>tracer attach</c>:
/// "zero window with 392.8 kB unsent, no data sent for 4h31m …; persist timer firing
/// (backoff 15, next probe in 1m56s); the next peer answer will tell whether the kernel ignores it".
/// </summary>
public sealed record SnapshotVerdict(SnapshotProblem Problem, Severity Severity, string Message)
{
    /// <summary>Whether the live phase must wait for the peer to settle this socket (stuck, or recovers).</summary>
    public bool NeedsPeerAnswer => Problem is SnapshotProblem.ZeroWindow or SnapshotProblem.Stuck;

    public static SnapshotVerdict Of(SnapshotSocket s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.State == TcpState.Listen)
        {
            return new(SnapshotProblem.None, Severity.Info, "listening");
        }

        if (!s.IsConnected)
        {
            return new(SnapshotProblem.None, Severity.Info, $"{StateName(s.State)}, no send window to judge");
        }

        if (s.SndWnd == 0 && s.HasDataWaiting)
        {
            return ZeroWindow(s);
        }

        if (s.ReceiveWindowLeft == 0 && s.Unread > 0)
        {
            return new(SnapshotProblem.ReceiverNotReading, Severity.Warning,
                $"advertises a zero receive window to the peer: {Human.Bytes(s.Unread)} received and not read by the application, "
                + $"data last received {Ago(s.LastReceiveAgoNs)}; the owner is not reading this socket");
        }

        if (s.Timer == SnapshotTimer.Retransmit && s.Retransmits > 0)
        {
            return new(SnapshotProblem.Retransmitting, Severity.Warning,
                string.Create(CultureInfo.InvariantCulture,
                    $"{s.Retransmits} retransmission(s) unanswered (backoff {s.Backoff}), {Human.Bytes(s.Unacked)} in flight, ")
                + $"last ACK {Ago(s.LastAckAgoNs)}; {TimerText(s)}");
        }

        if (s.Wl1Lag >= TcpWindowAnalyzer.Wl1LagWarningBytes)
        {
            return new(SnapshotProblem.Wl1Lag, s.Wl1Wrapped ? Severity.Critical : Severity.Warning,
                $"send window {Human.Bytes(s.SndWnd)}, but snd_wl1 lags rcv_nxt by {Human.Bytes(s.Wl1Lag)}"
                + (s.Wl1Wrapped
                    ? $" (≥ 2 GiB, wrapped): once the window closes, the peer's reopening will be ignored; {Explain.FastPathBug}"
                    : " (≥ 1 GiB): at 2 GiB a zero window becomes permanent"));
        }

        if (s.Unread > 0)
        {
            return new(SnapshotProblem.Unread, Severity.Info,
                $"ok; {Human.Bytes(s.Unread)} received and not yet read, receive window {Human.Bytes(s.ReceiveWindowLeft)} left");
        }

        return new(SnapshotProblem.None, Severity.Info, s.HasDataWaiting
            ? $"ok: send window {Human.Bytes(s.SndWnd)}, {Human.Bytes(s.Unsent)} unsent, {Human.Bytes(s.Unacked)} in flight"
            : $"ok: idle, send window {Human.Bytes(s.SndWnd)}, last data sent {Ago(s.LastSendAgoNs)}, received {Ago(s.LastReceiveAgoNs)}");
    }

    public static string StateName(TcpState state) => state switch
    {
        TcpState.Established => "ESTABLISHED",
        TcpState.SynSent => "SYN-SENT",
        TcpState.SynRecv => "SYN-RECV",
        TcpState.FinWait1 => "FIN-WAIT-1",
        TcpState.FinWait2 => "FIN-WAIT-2",
        TcpState.TimeWait => "TIME-WAIT",
        TcpState.Close => "CLOSE",
        TcpState.CloseWait => "CLOSE-WAIT",
        TcpState.LastAck => "LAST-ACK",
        TcpState.Listen => "LISTEN",
        TcpState.Closing => "CLOSING",
        TcpState.NewSynRecv => "NEW-SYN-RECV",
        _ => string.Create(CultureInfo.InvariantCulture, $"state {(byte)state}"),
    };

    public static string TimerName(SnapshotTimer timer) => timer switch
    {
        SnapshotTimer.Persist => "persist",
        SnapshotTimer.Retransmit => "retransmit",
        SnapshotTimer.Keepalive => "keepalive",
        _ => "none",
    };

    /// <summary>"persist timer firing (backoff 15, next probe in 1m56s)".</summary>
    public static string TimerText(SnapshotSocket s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var next = s.TimerInNs >= 0 ? $"in {Human.Duration((ulong)s.TimerInNs)}" : $"overdue by {Human.Duration((ulong)-s.TimerInNs)}";
        var c = CultureInfo.InvariantCulture;
        return s.Timer switch
        {
            SnapshotTimer.Persist => string.Create(c, $"persist timer firing (backoff {s.Backoff}, {s.ProbesOut} probe(s) unanswered, next probe {next})"),
            SnapshotTimer.Retransmit => string.Create(c, $"retransmit timer armed (backoff {s.Backoff}, fires {next})"),
            SnapshotTimer.Keepalive => $"only the keepalive timer is armed (fires {next}): nothing will probe the window",
            _ => "no timer armed: nothing will probe the window",
        };
    }

    private static SnapshotVerdict ZeroWindow(SnapshotSocket s)
    {
        var waiting = s.Unsent > 0
            ? $"{Human.Bytes(s.Unsent)} unsent{(s.Unacked > 0 ? $" and {Human.Bytes(s.Unacked)} in flight" : "")}"
            : $"{Human.Bytes(s.Unacked)} in flight";
        var since = $"no data sent for {Human.Duration(s.LastSendAgoNs)} (window 0 for at least {Human.Duration(s.LastAckAgoNs)}, since the last ACK)";
        if (s.Wl1Wrapped)
        {
            return new(SnapshotProblem.Stuck, Severity.Critical,
                $"zero window with {waiting}, {since}; {TimerText(s)}; snd_wl1 lags rcv_nxt by {Human.Bytes(s.Wl1Lag)} (≥ 2 GiB, wrapped): "
                + $"every window update the peer sends will be ignored, the connection can never leave zero window; {Explain.FastPathBug}");
        }

        return new(SnapshotProblem.ZeroWindow, Severity.Warning,
            $"zero window with {waiting}, {since}; {TimerText(s)}; "
            + $"snd_wl1 lag {Human.Bytes(s.Wl1Lag)} (< 2 GiB, updates can be accepted); the next peer answer will tell whether the kernel ignores it");
    }

    private static string Ago(ulong ns) => $"{Human.Duration(ns)} ago";
}
