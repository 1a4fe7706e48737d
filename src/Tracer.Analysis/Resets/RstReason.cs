namespace Tracer.Analysis.Resets;

/// <summary>
/// Why the kernel sent a RST: C# mirror of <c>enum tracer_rst_reason</c>, the kernel's
/// <c>enum sk_rst_reason</c> (Linux 6.10+) as the program translates it.
/// </summary>
public enum RstReason : ushort
{
    Other = 0,
    NotSpecified = 1,
    NoSocket = 2,
    TcpFlags = 3,
    InvalidAck = 4,
    Timewait = 5,
    InvalidSyn = 6,
    AbortOnData = 7,
    AbortOnClose = 8,
    AbortOnLinger = 9,
    AbortOnMemory = 10,
    TcpState = 11,
    Keepalive = 12,
    DisconnectWithData = 13,
}

public static class RstReasons
{
    /// <summary>The stable name in findings and metrics: <c>no_socket</c>, <c>abort_on_linger</c>.</summary>
    public static string Name(this RstReason reason) => reason switch
    {
        RstReason.Other => "other",
        RstReason.NotSpecified => "not_specified",
        RstReason.NoSocket => "no_socket",
        RstReason.TcpFlags => "tcp_flags",
        RstReason.InvalidAck => "invalid_ack",
        RstReason.Timewait => "timewait",
        RstReason.InvalidSyn => "invalid_syn",
        RstReason.AbortOnData => "abort_on_data",
        RstReason.AbortOnClose => "abort_on_close",
        RstReason.AbortOnLinger => "abort_on_linger",
        RstReason.AbortOnMemory => "abort_on_memory",
        RstReason.TcpState => "tcp_state",
        RstReason.Keepalive => "keepalive_timeout",
        RstReason.DisconnectWithData => "disconnect_with_data",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    /// <summary>What the reason means to someone whose clients saw the RST.</summary>
    public static string Explain(this RstReason reason) => reason switch
    {
        RstReason.NoSocket => "nothing listens on the port (or the connection is unknown)",
        RstReason.TcpFlags => "a segment no socket or request expected (e.g. an ACK to a listener with no such handshake)",
        RstReason.InvalidAck => "an ACK for data never sent",
        RstReason.Timewait => "a segment to a connection in TIME_WAIT",
        RstReason.InvalidSyn => "an unexpected SYN",
        RstReason.AbortOnData => "data arrived after the application closed",
        RstReason.AbortOnClose => "the application closed with unread data",
        RstReason.AbortOnLinger => "an orphaned connection timed out in FIN_WAIT2 (tcp_fin_timeout)",
        RstReason.AbortOnMemory => "the kernel ran short of memory for orphaned sockets",
        RstReason.TcpState => "the kernel tore the connection down (tcp_disconnect(): ss -K, a closed listener's queue, close with SO_LINGER 0)",
        RstReason.Keepalive => "keepalive probes went unanswered",
        RstReason.DisconnectWithData => "disconnected with data still queued",
        _ => "the kernel named no reason",
    };
}
