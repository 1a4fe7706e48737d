using System.Runtime.InteropServices;

namespace Tracer.Interop.Events;

/// <summary>
/// C# mirror of <c>struct tcp_window_event</c> in bpf/include/tracer_events.h.
/// Field names match the C names; a test compares size and every offset with
/// the BTF clang emitted for the compiled object.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct TcpWindowEvent
{
    /// <summary><c>TRACER_COMM_LEN</c>.</summary>
    public const int CommLength = 16;

    public ulong ts_ns;
    public ulong cookie;
    public ulong bytes_received;
    public ulong bytes_acked;
    public ulong rcvd_at_wl1;
    public ulong sock_ino;
    public fixed byte saddr[16];
    public fixed byte daddr[16];
    public uint owner_tgid;
    public uint snd_una;
    public uint snd_nxt;
    public uint snd_wnd;
    public uint snd_wl1;
    public uint rcv_nxt;
    public uint write_seq;
    public uint seg_seq;
    public uint seg_ack;
    public uint reason;
    public ushort family;
    public ushort sport;
    public ushort dport;
    public ushort seg_win;
    public byte snd_wscale;
    public byte probes_out;
    public byte backoff;
    public byte pending;
    public fixed byte owner_comm[CommLength];
    public uint lost_before;
}

/// <summary>C# mirror of <c>struct tcp_owner</c>: value of the <c>owners</c> map, keyed by socket cookie.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct TcpOwner
{
    public uint tgid;
    public fixed byte comm[TcpWindowEvent.CommLength];
}
