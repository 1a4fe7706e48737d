using System.Globalization;
using Tracer.Bpf.Owners;
using Tracer.Bpf.Tcp;

namespace Tracer.Bpf.Snapshot;

/// <summary>
/// Whose sockets <c>tracer attach</c> looks at: a process (all its threads share
/// its file descriptors), every process with a command name, a port, or several
/// of these at once (all must hold).
/// </summary>
public sealed record SnapshotTarget(int? Pid, string? Comm, ushort? Port)
{
    /// <summary>Filters by process: sockets are found through the processes' file descriptors.</summary>
    public bool ByProcess => Pid is not null || Comm is not null;

    public override string ToString()
    {
        var parts = new List<string>();
        if (Pid is { } pid)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"pid {pid}"));
        }

        if (Comm is { } comm)
        {
            parts.Add($"comm {comm}");
        }

        if (Port is { } port)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"port {port}"));
        }

        return string.Join(", ", parts);
    }

    /// <summary>
    /// The target's processes and the socket inodes they hold, from /proc. Empty
    /// when the target has no processes (the caller decides whether that is an error).
    /// </summary>
    public TargetProcesses Resolve(string procRoot = "/proc")
    {
        if (!ByProcess)
        {
            return new TargetProcesses([], new Dictionary<ulong, SocketOwner>());
        }

        var pids = Pid is { } pid ? [pid] : ProcessesNamed(Comm!, procRoot);
        var processes = new List<SocketOwner>();
        var owners = new Dictionary<ulong, SocketOwner>();
        foreach (var p in pids)
        {
            var comm = ProcSocketOwners.CommOf(p, procRoot);
            if (comm is null || (Comm is { } wanted && !TaskComm.Matches(wanted, comm)))
            {
                continue;
            }

            var owner = new SocketOwner(p, comm);
            processes.Add(owner);
            foreach (var inode in ProcSocketOwners.InodesOf(p, procRoot))
            {
                owners.TryAdd(inode, owner);
            }
        }

        return new TargetProcesses(processes, owners);
    }

    /// <summary>Every process's sockets, for a target given by port only: inode → the first process holding it.</summary>
    public static IReadOnlyDictionary<ulong, SocketOwner> OwnersOfAll(string procRoot = "/proc")
    {
        var owners = new Dictionary<ulong, SocketOwner>();
        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string? comm = null;
            foreach (var inode in ProcSocketOwners.InodesOf(pid, procRoot))
            {
                comm ??= ProcSocketOwners.CommOf(pid, procRoot) ?? "?";
                owners.TryAdd(inode, new SocketOwner(pid, comm));
            }
        }

        return owners;
    }

    private static List<int> ProcessesNamed(string comm, string procRoot)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
                ProcSocketOwners.CommOf(pid, procRoot) is { } name && TaskComm.Matches(comm, name))
            {
                pids.Add(pid);
            }
        }

        pids.Sort();
        return pids;
    }
}

/// <summary>The processes a target names and, for each socket inode they hold, the first of them holding it.</summary>
public sealed record TargetProcesses(IReadOnlyList<SocketOwner> Processes, IReadOnlyDictionary<ulong, SocketOwner> OwnerByInode);
