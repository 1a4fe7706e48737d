namespace Tracer.Analysis.Tcp;

/// <summary>Why the kernel side emitted a sample; mirrors <c>enum tcp_emit_reason</c>.</summary>
[Flags]
public enum EmitReason : uint
{
    None = 0,
    EverySegment = 1 << 0,
    ZeroWindowEnter = 1 << 1,
    ZeroWindowLeave = 1 << 2,
    Wl1Lag = 1 << 3,
    UpdateIgnored = 1 << 4,
    Probes = 1 << 5,
    Heartbeat = 1 << 6,
    First = 1 << 7,
}

/// <summary>The retransmit-class timer armed on a socket; mirrors <c>enum tcp_pending_timer</c>.</summary>
public enum PendingTimer : byte
{
    None = 0,
    Retransmit = 1,
    DelayedAck = 2,
    Persist = 3,
    LossProbe = 5,
    ReorderTimeout = 6,
}

/// <summary>
/// One incoming segment on an established connection and the send-window state
/// before the kernel processed it. Produced by the decoder, by replay of a
/// recording, or by hand in JSON Lines; the analyzers see only this type.
/// </summary>
public readonly record struct TcpSample
{
    /// <summary>CLOCK_MONOTONIC nanoseconds of the kernel that produced the sample.</summary>
    public ulong TimestampNs { get; init; }
    public ulong Cookie { get; init; }
    public int Pid { get; init; }
    public string Comm { get; init; }
    public Endpoints Endpoints { get; init; }
    public uint SndUna { get; init; }
    public uint SndNxt { get; init; }
    public uint SndWnd { get; init; }
    public uint SndWl1 { get; init; }
    public uint RcvNxt { get; init; }
    public ulong BytesReceived { get; init; }
    public ulong BytesAcked { get; init; }
    public uint SegSeq { get; init; }
    public uint SegAck { get; init; }
    /// <summary>Raw 16-bit window field of the segment, not yet scaled.</summary>
    public ushort SegWin { get; init; }
    public byte SndWscale { get; init; }
    public byte ProbesOut { get; init; }
    public byte Backoff { get; init; }
    public PendingTimer Pending { get; init; }
    /// <summary>Bytes queued but not yet sent (write_seq − snd_nxt).</summary>
    public uint Unsent { get; init; }
    public EmitReason Reason { get; init; }

    /// <summary>
    /// bytes_received when snd_wl1 last moved, as the kernel side saw it; null when
    /// unknown. When present the analyzer takes the wl1 lag from it instead of
    /// tracking the moves itself.
    /// </summary>
    public ulong? Wl1MovedAtBytesReceived { get; init; }

    /// <summary>
    /// Samples of this connection the kernel had no buffer room for since the
    /// previous delivered one: what the analyzer concludes about the gap may be incomplete.
    /// </summary>
    public uint LostBefore { get; init; }

    /// <summary>The window the segment advertises, scaled: seg_win &lt;&lt; snd_wscale.</summary>
    public ulong AdvertisedWindow => (ulong)SegWin << SndWscale;
}
