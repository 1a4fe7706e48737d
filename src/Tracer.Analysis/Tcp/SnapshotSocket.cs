using Tracer.Analysis.Sequence;

namespace Tracer.Analysis.Tcp;

/// <summary>A TCP socket's state, as include/net/tcp_states.h numbers it.</summary>
public enum TcpState : byte
{
    Established = 1,
    SynSent = 2,
    SynRecv = 3,
    FinWait1 = 4,
    FinWait2 = 5,
    TimeWait = 6,
    Close = 7,
    CloseWait = 8,
    LastAck = 9,
    Listen = 10,
    Closing = 11,
    NewSynRecv = 12,
}

/// <summary>The timer ss and /proc/net/tcp report for a socket; mirrors <c>enum tcp_snapshot_timer</c>.</summary>
public enum SnapshotTimer : byte
{
    None = 0,
    Retransmit = 1,
    Keepalive = 2,
    Persist = 4,
}

/// <summary>
/// One TCP socket at one instant, as <c>tracer attach</c> reads it from the
/// kernel's tcp iterator: the send-window internals <c>ss -tmi</c> shows and
/// those it cannot (snd_wl1 above all). Times are nanoseconds.
/// </summary>
public sealed record SnapshotSocket
{
    /// <summary>Half the sequence space: snd_wl1 compares as after rcv_nxt once it lags this much.</summary>
    private const ulong HalfSequenceSpace = 1UL << 31;

    /// <summary>CLOCK_MONOTONIC nanoseconds of the snapshot, the clock of live samples too.</summary>
    public ulong TimestampNs { get; init; }
    public ulong Cookie { get; init; }
    public ulong Inode { get; init; }
    /// <summary>A process holding the socket open; 0 when none was found in /proc.</summary>
    public int Pid { get; init; }
    public string Comm { get; init; } = string.Empty;
    public uint Uid { get; init; }
    public Endpoints Endpoints { get; init; }
    public TcpState State { get; init; }
    public uint SndUna { get; init; }
    public uint SndNxt { get; init; }
    public uint SndWl1 { get; init; }
    public uint RcvNxt { get; init; }
    /// <summary>rcv_nxt when the receive window was last advertised.</summary>
    public uint RcvWup { get; init; }
    /// <summary>The application has read up to here.</summary>
    public uint CopiedSeq { get; init; }
    public uint WriteSeq { get; init; }
    public uint SndWnd { get; init; }
    /// <summary>The receive window last advertised, scaled, from <see cref="RcvWup"/>.</summary>
    public uint RcvWnd { get; init; }
    public uint SndCwnd { get; init; }
    public uint PacketsOut { get; init; }
    public uint TotalRetrans { get; init; }
    public ulong BytesReceived { get; init; }
    public ulong BytesAcked { get; init; }
    public byte SndWscale { get; init; }
    public byte RcvWscale { get; init; }
    /// <summary>icsk_retransmits: consecutive retransmissions without an answer.</summary>
    public byte Retransmits { get; init; }
    public byte ProbesOut { get; init; }
    public byte Backoff { get; init; }
    public PendingTimer Pending { get; init; }
    public SnapshotTimer Timer { get; init; }
    /// <summary>Until the timer fires; negative when it is overdue, 0 when none is armed.</summary>
    public long TimerInNs { get; init; }
    public ulong LastSendAgoNs { get; init; }
    public ulong LastReceiveAgoNs { get; init; }
    public ulong LastAckAgoNs { get; init; }

    /// <summary>Queued but not yet sent (write_seq − snd_nxt).</summary>
    public uint Unsent => unchecked(WriteSeq - SndNxt);

    /// <summary>Sent but not yet acknowledged (snd_nxt − snd_una).</summary>
    public uint Unacked => unchecked(SndNxt - SndUna);

    /// <summary>Received but not yet read by the application (rcv_nxt − copied_seq).</summary>
    public uint Unread => unchecked(RcvNxt - CopiedSeq);

    /// <summary>The receive window still open to the peer, tcp_receive_window(): rcv_wup + rcv_wnd − rcv_nxt.</summary>
    public uint ReceiveWindowLeft => (uint)Math.Max(0, SeqNum.Distance(unchecked(RcvWup + RcvWnd), RcvNxt));

    /// <summary>Bytes received since the segment that last updated the send window (rcv_nxt − snd_wl1, modulo 2^32).</summary>
    public uint Wl1Lag => unchecked(RcvNxt - SndWl1);

    /// <summary>snd_wl1 lags by 2 GiB or more: every segment the peer sends now compares as older than it.</summary>
    public bool Wl1Wrapped => Wl1Lag >= HalfSequenceSpace;

    /// <summary>Data waits to be sent or acknowledged.</summary>
    public bool HasDataWaiting => Unsent > 0 || Unacked > 0;

    /// <summary>A state with a send window to analyze (not a listener, not closed).</summary>
    public bool IsConnected => State is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck;

    /// <summary>
    /// The samples that put the snapshot before the same analyzer the live tracer feeds.
    /// A snapshot has no segment, so its segment fields are chosen so the window rule
    /// leaves snd_wnd as it is. The window changes only when an ACK is processed, so a
    /// zero window was already zero at the last ACK: when the window is 0, a first sample
    /// dated then (carrying the window only) makes the analyzer's duration that true lower bound.
    /// </summary>
    public IEnumerable<TcpSample> ToSamples()
    {
        if (!IsConnected)
        {
            yield break;
        }

        var now = ToSample(TimestampNs);
        if (SndWnd == 0 && LastAckAgoNs > 0 && LastAckAgoNs < TimestampNs)
        {
            yield return now with { TimestampNs = TimestampNs - LastAckAgoNs, SndNxt = SndUna, Unsent = 0 };
        }

        yield return now;
    }

    private TcpSample ToSample(ulong timestampNs) => new()
    {
        TimestampNs = timestampNs,
        Cookie = Cookie,
        Pid = Pid,
        Comm = Comm,
        Endpoints = Endpoints,
        SndUna = SndUna,
        SndNxt = SndNxt,
        SndWnd = SndWnd,
        SndWl1 = SndWl1,
        RcvNxt = RcvNxt,
        BytesReceived = BytesReceived,
        BytesAcked = BytesAcked,
        SegSeq = unchecked(SndWl1 - 1), // older than snd_wl1, acking nothing new, advertising 0: no update
        SegAck = SndUna,
        SegWin = 0,
        SndWscale = SndWscale,
        ProbesOut = ProbesOut,
        Backoff = Backoff,
        Pending = Pending,
        Unsent = Unsent,
        Reason = EmitReason.First,
        Wl1MovedAtBytesReceived = BytesReceived - Math.Min(BytesReceived, Wl1Lag),
    };
}
