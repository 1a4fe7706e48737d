using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Tracer.Analysis;
using Tracer.Analysis.Tcp;
using Tracer.Interop.Events;

namespace Tracer.Bpf.Tcp;

/// <summary>
/// Turns a <c>struct tcp_window_event</c> as the kernel wrote it into a
/// <see cref="TcpSample"/>. Owner names are interned per connection, so steady
/// state decodes without allocating.
/// </summary>
public sealed class TcpEventDecoder
{
    /// <summary>As many connections as the kernel tracks (the conns map); past it the cache starts over.</summary>
    private const int MaxInterned = 65536;
    private readonly Dictionary<ulong, (uint Tgid, string Comm)> commByCookie = [];

    public static int RecordSize => Marshal.SizeOf<TcpWindowEvent>();

    /// <summary>Decodes one record; false when it is shorter than the struct (a foreign or torn record).</summary>
    public unsafe bool TryDecode(ReadOnlySpan<byte> record, out TcpSample sample, out ulong socketInode)
    {
        if (record.Length < sizeof(TcpWindowEvent))
        {
            sample = default;
            socketInode = 0;
            return false;
        }

        var ev = MemoryMarshal.Read<TcpWindowEvent>(record);
        var family = ev.family == (ushort)LinuxAddressFamily.Inet6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var endpoints = Endpoints.FromBytes(family, new ReadOnlySpan<byte>(ev.saddr, 16), ev.sport, new ReadOnlySpan<byte>(ev.daddr, 16), ev.dport);
        socketInode = ev.sock_ino;
        sample = new TcpSample
        {
            TimestampNs = ev.ts_ns,
            Cookie = ev.cookie,
            Pid = (int)ev.owner_tgid,
            Comm = ev.owner_tgid == 0 ? string.Empty : InternComm(ev.cookie, ev.owner_tgid, new ReadOnlySpan<byte>(ev.owner_comm, TcpWindowEvent.CommLength)),
            Endpoints = endpoints,
            SndUna = ev.snd_una,
            SndNxt = ev.snd_nxt,
            SndWnd = ev.snd_wnd,
            SndWl1 = ev.snd_wl1,
            RcvNxt = ev.rcv_nxt,
            BytesReceived = ev.bytes_received,
            BytesAcked = ev.bytes_acked,
            SegSeq = ev.seg_seq,
            SegAck = ev.seg_ack,
            SegWin = ev.seg_win,
            SndWscale = ev.snd_wscale,
            ProbesOut = ev.probes_out,
            Backoff = ev.backoff,
            Pending = (PendingTimer)ev.pending,
            Unsent = ev.write_seq - ev.snd_nxt,
            Reason = (EmitReason)ev.reason,
            Wl1MovedAtBytesReceived = ev.rcvd_at_wl1,
            LostBefore = ev.lost_before,
        };
        return true;
    }

    private string InternComm(ulong cookie, uint tgid, ReadOnlySpan<byte> raw)
    {
        var length = raw.IndexOf((byte)0);
        var bytes = length < 0 ? raw : raw[..length];
        if (commByCookie.TryGetValue(cookie, out var known) && known.Tgid == tgid && Matches(known.Comm, bytes))
        {
            return known.Comm;
        }

        var comm = Encoding.UTF8.GetString(bytes);
        if (commByCookie.Count >= MaxInterned)
        {
            commByCookie.Clear();
        }

        commByCookie[cookie] = (tgid, comm);
        return comm;
    }

    private static bool Matches(string comm, ReadOnlySpan<byte> bytes)
    {
        if (comm.Length != bytes.Length)
        {
            return false;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if (comm[i] != bytes[i])
            {
                return false;
            }
        }

        return true;
    }
}
