using System.Runtime.InteropServices;

namespace Tracer.Interop.Events;

/// <summary>C# mirror of <c>enum reset_event_kind</c>: what a <see cref="ResetEvent"/> says happened.</summary>
public enum ResetEventKind : ushort
{
    Listen = 1,
    ListenerClose = 2,
    ListenerGone = 3,
    Rst = 4,
    Existing = 5,
}

/// <summary>C# mirror of <c>struct reset_event</c> (bpf/resets.bpf.c): a listener's birth, close or end, or a RST.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct ResetEvent
{
    public ulong ts_ns;
    public ulong sock_ino;
    public ulong group;
    public ulong birth_ns;
    public ulong cgroup;
    public ulong sender_ino;
    public fixed byte saddr[16];
    public fixed byte daddr[16];
    public uint tgid;
    public uint accept_queue;
    public uint syn_queue;
    public uint group_size;
    public ushort kind;
    public ushort family;
    public ushort sport;
    public ushort dport;
    public ushort reason;
    public byte state;
    public byte softirq;
    public fixed byte comm[TcpWindowEvent.CommLength];
    public uint accepted;
}
