using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tracer.Analysis.Tcp;
using Tracer.Integration.Tests;
using Tracer.Bpf.Tcp;
using Tracer.Interop.Events;

namespace Tracer.Bpf.Tests;

/// <summary>The decoder from the kernel's record bytes to a sample (no kernel needed).</summary>
public sealed unsafe class TcpEventDecoderTests
{
    [Fact]
    public void DecodesAnIpv6RecordFieldByField()
    {
        var ev = new TcpWindowEvent
        {
            ts_ns = 123, cookie = 42, bytes_received = 5_000_000_000, bytes_acked = 7, rcvd_at_wl1 = 1_000,
            owner_tgid = 4711, snd_una = 10, snd_nxt = 20, snd_wnd = 0, snd_wl1 = 30, rcv_nxt = 40, write_seq = 392_847,
            seg_seq = 50, seg_ack = 60, reason = 2 | 16, family = 10, sport = 873, dport = 51034, seg_win = 13831,
            snd_wscale = 7, probes_out = 1, backoff = 15, pending = 3,
        };
        IPAddress.Parse("2001:db8::1").GetAddressBytes().CopyTo(new Span<byte>(ev.saddr, 16));
        IPAddress.Parse("2001:db8::2").GetAddressBytes().CopyTo(new Span<byte>(ev.daddr, 16));
        "rsync"u8.CopyTo(new Span<byte>(ev.owner_comm, TcpWindowEvent.CommLength));

        var decoder = new TcpEventDecoder();
        Assert.True(decoder.TryDecode(MemoryMarshal.AsBytes(new ReadOnlySpan<TcpWindowEvent>(in ev)), out var s, out var inode));

        Assert.Equal(0UL, inode);
        Assert.Equal((123UL, 42UL, 4711, "rsync"), (s.TimestampNs, s.Cookie, s.Pid, s.Comm));
        Assert.Equal(AddressFamily.InterNetworkV6, s.Endpoints.Family);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), s.Endpoints.Local);
        Assert.Equal(IPAddress.Parse("2001:db8::2"), s.Endpoints.Peer);
        Assert.Equal((873, 51034), (s.Endpoints.LocalPort, s.Endpoints.PeerPort));
        Assert.Equal(392_827U, s.Unsent);
        Assert.Equal(1_770_368UL, s.AdvertisedWindow);
        Assert.Equal(EmitReason.ZeroWindowEnter | EmitReason.UpdateIgnored, s.Reason);
        Assert.Equal(PendingTimer.Persist, s.Pending);
        Assert.Equal((5_000_000_000UL, 1_000UL), (s.BytesReceived, s.Wl1MovedAtBytesReceived!.Value));
        Assert.Equal((byte)15, s.Backoff);
    }

    [Fact]
    public void Ipv4AddressesAreTheFirstFourBytes()
    {
        var ev = new TcpWindowEvent { family = 2, sport = 1, dport = 2, sock_ino = 99 };
        new byte[] { 127, 0, 0, 1 }.CopyTo(new Span<byte>(ev.saddr, 16));
        new byte[] { 10, 1, 2, 3 }.CopyTo(new Span<byte>(ev.daddr, 16));
        Assert.True(new TcpEventDecoder().TryDecode(MemoryMarshal.AsBytes(new ReadOnlySpan<TcpWindowEvent>(in ev)), out var s, out var inode));
        Assert.Equal("127.0.0.1:1 → 10.1.2.3:2", s.Endpoints.ToString());
        Assert.Equal(string.Empty, s.Comm);
        Assert.Equal(99UL, inode);
    }

    [Fact]
    public void AShortRecordIsRefused()
    {
        Assert.False(new TcpEventDecoder().TryDecode(new byte[10], out _, out _));
    }
}
