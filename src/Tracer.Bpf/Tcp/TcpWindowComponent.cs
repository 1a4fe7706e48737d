using Tracer.Interop;
using Tracer.Bpf.Attach;

namespace Tracer.Bpf.Tcp;

/// <summary>bpf/tcpwin.bpf.c: the ack-path hook and the process-context owner hooks.</summary>
public static class TcpWindowComponent
{
    public static readonly HookSpec AckPath = new("tcp ack path",
    [
        new(AttachMethod.Fentry, "tcp_ack", "tcp_ack_fentry"),
        new(AttachMethod.Kprobe, "tcp_ack", "tcp_ack_kprobe"),
        new(AttachMethod.TpBtf, "tcp_probe", "tcp_probe_btf"),
        new(AttachMethod.RawTracepoint, "tcp_probe", "tcp_probe_raw"),
        new(AttachMethod.Tracepoint, "tcp/tcp_probe", "tcp_probe_tp"),
    ]);

    // sock_send_length/sock_recv_length appeared in Linux 6.3; without them owners come from /proc only.
    public static readonly HookSpec OwnerOnSend = new("socket owner (sendmsg)",
    [
        new(AttachMethod.TpBtf, "sock_send_length", "owner_send_btf"),
        new(AttachMethod.RawTracepoint, "sock_send_length", "owner_send_raw"),
        new(AttachMethod.Tracepoint, "sock/sock_send_length", "owner_send_tp"),
    ], Required: false);

    public static readonly HookSpec OwnerOnRecv = new("socket owner (recvmsg)",
    [
        new(AttachMethod.TpBtf, "sock_recv_length", "owner_recv_btf"),
        new(AttachMethod.RawTracepoint, "sock_recv_length", "owner_recv_raw"),
        new(AttachMethod.Tracepoint, "sock/sock_recv_length", "owner_recv_tp"),
    ], Required: false);

    public static readonly BpfComponent Component = new("tcpwin", [AckPath, OwnerOnSend, OwnerOnRecv]);

    /// <summary>The ack path alone: owners come from /proc, and no send or receive call pays for a hook.</summary>
    public static readonly BpfComponent AckPathOnly = new("tcpwin", [AckPath]);

    /// <summary>Points the program's <c>events</c> map and its output helper at the chosen transport.</summary>
    public static void ConfigureTransport(BpfObject obj, Transport transport, uint ringBufferBytes)
    {
        var events = obj.Map("events");
        if (transport == Transport.PerfBuffer)
        {
            obj.SetConstant("use_perfbuf", (byte)1);
            events.Kind = MapKind.PerfEventArray;
            events.KeySize = sizeof(int);
            events.ValueSize = sizeof(int);
            events.MaxEntries = 0; // libbpf sizes a perf event array to the possible CPUs
        }
        else
        {
            events.MaxEntries = ringBufferBytes;
            obj.SetConstant("wakeup_bytes", (ulong)ringBufferBytes / 4);
        }
    }
}
