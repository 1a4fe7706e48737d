using System.Net.Sockets;
using Tracer.Analysis.Tcp;

namespace Tracer.Analysis.Resets;

/// <summary>What the kernel reported about a listener.</summary>
public enum ListenerEventKind : byte
{
    /// <summary>listen() returned on a socket that was not listening: a new listener, its group read then.</summary>
    Listen,

    /// <summary>The listener went LISTEN → CLOSE, with what was still queued on it.</summary>
    Close,

    /// <summary>The closed listener was destroyed: every RST its close sent has been reported.</summary>
    Gone,

    /// <summary>A listener that was there before the trace began.</summary>
    Existing,
}

/// <summary>One listener event or one RST, decoded. Times are CLOCK_MONOTONIC nanoseconds.</summary>
public abstract record ResetSample(ulong TimestampNs);

/// <param name="Inode">The listener's socket inode: its key while it lives.</param>
/// <param name="Group">Its SO_REUSEPORT group (the kernel's sock_reuseport address), 0 without one; unique among live groups only.</param>
/// <param name="GroupSize">Members of the group when it was read (its own listen() included).</param>
/// <param name="Pid">Listen: the owner (who called listen()); Close/Gone: the closing task's process; Existing: 0, the caller finds it in /proc.</param>
public sealed record ListenerSample(ulong TimestampNs, ListenerEventKind Kind, ulong Inode, AddressFamily Family, ushort Port, int Pid, string Comm)
    : ResetSample(TimestampNs)
{
    public ulong Group { get; init; }

    public int GroupSize { get; init; }

    /// <summary>Listen: when it went CLOSE → LISTEN.</summary>
    public ulong BirthNs { get; init; }

    public ulong Cgroup { get; init; }

    /// <summary>Listen, Existing: the owner's command line from /proc, when it could still be read.</summary>
    public string? Command { get; init; }

    /// <summary>Close: completed handshakes never accepted (sk_ack_backlog).</summary>
    public int AcceptQueue { get; init; }

    /// <summary>Close: handshakes still in the SYN queue.</summary>
    public int SynQueue { get; init; }

    /// <summary>Close: connections accept() returned from it while traced; null when accepts are not traced.</summary>
    public uint? Accepted { get; init; }
}

/// <param name="Endpoints">Local and peer as the RST carries them.</param>
/// <param name="State">The state of the socket it was sent for; <see cref="TcpState.Listen"/>: a segment no request matched.</param>
/// <param name="OutsideTask">It answered an incoming segment or a keepalive timeout (softirq): <paramref name="Pid"/> is whoever was interrupted.</param>
/// <param name="ClosingListener">The inode of the listener whose close sent it (a queued child reset), else 0.</param>
/// <param name="SendingListener">When a listening socket answered a segment it had no request for: its inode, else 0.</param>
public sealed record RstSample(ulong TimestampNs, Endpoints Endpoints, RstReason Reason, TcpState State, bool OutsideTask, int Pid, string Comm, ulong ClosingListener,
    ulong SendingListener = 0) : ResetSample(TimestampNs);
