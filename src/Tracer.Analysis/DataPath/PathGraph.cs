namespace Tracer.Analysis.DataPath;

/// <summary>A process's scheduler state, the letter of /proc/PID/stat.</summary>
public enum RunState : byte
{
    Running = 0,
    Sleeping = 1,
    DiskWait = 2,

    /// <summary>Stopped by a job-control signal (SIGSTOP, SIGTSTP …): 'T'.</summary>
    Stopped = 3,

    /// <summary>Stopped by a tracer (ptrace): 't'.</summary>
    TracingStop = 4,
    Zombie = 5,
    Other = 6,
}

/// <summary>The syscall a process sleeps in (/proc/PID/syscall) and the descriptor it names, when the call takes one.</summary>
public sealed record BlockedCall(string Name, int? Fd);

/// <summary>One process on the data path.</summary>
public sealed record PathProcess(int Pid, int ParentPid, string Comm, RunState State, BlockedCall? Call, string Wchan, int Threads)
{
    public bool IsStopped => State is RunState.Stopped or RunState.TracingStop;

    public string Name => $"{Comm} {Pid}";
}

/// <summary>What carries the bytes of a link.</summary>
public enum ChannelKind : byte
{
    Pipe = 0,
    Fifo = 1,
    Unix = 2,
    Tcp = 3,
}

/// <summary>
/// One direction of a channel between processes: bytes written by <see cref="Writers"/>
/// wait in <see cref="Queued"/> until <see cref="Readers"/> read them. A TCP connection to a
/// host that is not local has no readers here, only <see cref="Remote"/>.
/// </summary>
public sealed record PathLink
{
    /// <summary>The channel's name, shared by both directions: <c>pipe:[INODE]</c>, <c>unix:[INODE]</c>, or the TCP 4-tuple.</summary>
    public required string Channel { get; init; }
    public required ChannelKind Kind { get; init; }
    public required IReadOnlyList<int> Writers { get; init; }
    public required IReadOnlyList<int> Readers { get; init; }

    /// <summary>The far end of a TCP connection whose peer is not a local process.</summary>
    public string? Remote { get; init; }

    /// <summary>Bytes written and not yet read (for TCP: unsent, in flight and unread at a local peer).</summary>
    public ulong Queued { get; init; }

    /// <summary>What the channel holds before a writer blocks (pipe size, socket send buffer; TCP: the send buffer's limit is not read, 0).</summary>
    public ulong Capacity { get; init; }

    /// <summary>A writer cannot add a byte: the pipe or socket buffer is full, or TCP's send window is zero with data waiting.</summary>
    public bool Full { get; init; }

    /// <summary>What the channel says about itself (the TCP snapshot verdict), or empty.</summary>
    public string Detail { get; init; } = string.Empty;

    /// <summary>TCP socket cookies on this direction (the writer's socket first), for the live confirmation.</summary>
    public IReadOnlyList<ulong> Cookies { get; init; } = [];
}

/// <summary>
/// The data path of a target: its processes, and the links between them up to the TCP connections;
/// <see cref="TcpSockets"/> counts the TCP sockets its processes hold, listeners included.
/// </summary>
public sealed record PathGraph(IReadOnlyList<int> Targets, IReadOnlyList<PathProcess> Processes, IReadOnlyList<PathLink> Links, int TcpSockets)
{
    public PathProcess? Process(int pid) => Processes.FirstOrDefault(p => p.Pid == pid);

    public bool HasNetwork => TcpSockets > 0;
}
