using System.Runtime.InteropServices;

namespace Tracer.Interop.Events;

/// <summary>
/// C# mirror of <c>struct tcp_socket_snapshot</c> in bpf/include/tracer_events.h:
/// one TCP socket as the tcp iterator saw it. Checked against the compiled BTF.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct TcpSocketSnapshot
{
    public ulong ts_ns;
    public ulong jiffies;
    public ulong cookie;
    public ulong sock_ino;
    public ulong bytes_received;
    public ulong bytes_acked;
    public long timer_in;
    public fixed byte saddr[16];
    public fixed byte daddr[16];
    public uint uid;
    public uint snd_una;
    public uint snd_nxt;
    public uint snd_wl1;
    public uint rcv_nxt;
    public uint rcv_wup;
    public uint copied_seq;
    public uint write_seq;
    public uint snd_wnd;
    public uint rcv_wnd;
    public uint snd_cwnd;
    public uint packets_out;
    public uint total_retrans;
    public uint last_send_age;
    public uint last_recv_age;
    public uint last_ack_age;
    public ushort family;
    public ushort sport;
    public ushort dport;
    public byte state;
    public byte snd_wscale;
    public byte rcv_wscale;
    public byte retransmits;
    public byte probes_out;
    public byte backoff;
    public byte pending;
    public byte timer;
    public fixed byte __pad[2];
}
