using System.Globalization;
using System.Runtime.InteropServices;
using Tracer.Analysis.DataPath;

namespace Tracer.Bpf.Paths;

/// <summary>A process's state on the data path from /proc: stat, syscall, wchan, fdinfo.</summary>
public static class ProcessReader
{
    /// <summary>x86_64 numbers of the calls a stalled transfer sleeps in; true when the first argument is a descriptor.</summary>
    private static readonly Dictionary<long, (string Name, bool TakesFd)> X64Calls = new()
    {
        [0] = ("read", true), [1] = ("write", true), [7] = ("poll", false), [19] = ("readv", true), [20] = ("writev", true),
        [23] = ("select", false), [35] = ("nanosleep", false), [40] = ("sendfile", true), [43] = ("accept", true),
        [44] = ("sendto", true), [45] = ("recvfrom", true), [46] = ("sendmsg", true), [47] = ("recvmsg", true),
        [61] = ("wait4", false), [202] = ("futex", false), [230] = ("clock_nanosleep", false), [232] = ("epoll_wait", false),
        [270] = ("pselect6", false), [271] = ("ppoll", false), [275] = ("splice", true), [281] = ("epoll_pwait", false),
        [288] = ("accept4", true), [441] = ("epoll_pwait2", false),
    };

    /// <summary>The process, or null when it has exited.</summary>
    public static PathProcess? Read(int pid, string procRoot = "/proc")
    {
        var dir = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture));
        if (Text(Path.Combine(dir, "stat")) is not { } stat || ParseStat(stat) is not { } parsed)
        {
            return null;
        }

        var call = Text(Path.Combine(dir, "syscall")) is { } s ? ParseSyscall(s) : null;
        var wchan = Text(Path.Combine(dir, "wchan")) is { } w && w != "0" ? w.Trim() : "";
        return new PathProcess(pid, parsed.Parent, parsed.Comm, parsed.State, call, wchan, parsed.Threads);
    }

    /// <summary>The parent pid from a /proc/PID directory.</summary>
    public static int? ParentOf(string dir) => Text(Path.Combine(dir, "stat")) is { } stat ? ParseStat(stat)?.Parent : null;

    /// <summary>/proc/PID/stat: "pid (comm) S ppid …"; the comm may hold spaces and parentheses.</summary>
    public static (string Comm, RunState State, int Parent, int Threads)? ParseStat(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return null;
        }

        var fields = stat[(close + 2)..].Split(' ');
        if (fields.Length < 18 || !int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent))
        {
            return null;
        }

        var state = fields[0] switch
        {
            "R" => RunState.Running,
            "S" or "I" => RunState.Sleeping,
            "D" => RunState.DiskWait,
            "T" => RunState.Stopped,
            "t" => RunState.TracingStop,
            "Z" or "X" => RunState.Zombie,
            _ => RunState.Other,
        };
        _ = int.TryParse(fields[17], NumberStyles.Integer, CultureInfo.InvariantCulture, out var threads);
        return (stat[(open + 1)..close], state, parent, threads);
    }

    /// <summary>/proc/PID/syscall: "NR ARG0 … SP PC" while in a call, "running", or "-1 SP PC" outside one.</summary>
    public static BlockedCall? ParseSyscall(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = text.Trim().Split(' ');
        if (fields.Length < 3 || !long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var nr) || nr < 0)
        {
            return null;
        }

        if (RuntimeInformation.ProcessArchitecture != Architecture.X64 || !X64Calls.TryGetValue(nr, out var call))
        {
            return new BlockedCall(string.Create(CultureInfo.InvariantCulture, $"syscall {nr}"), null);
        }

        int? fd = call.TakesFd && long.TryParse(fields[1].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var a) ? (int)a : null;
        return new BlockedCall(call.Name, fd);
    }

    /// <summary>Whether the process opened the descriptor for reading, writing or both (fdinfo's flags, O_ACCMODE).</summary>
    public static (bool Reads, bool Writes) AccessOf(int pid, int fd, string procRoot = "/proc")
    {
        var info = Text(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "fdinfo", fd.ToString(CultureInfo.InvariantCulture)));
        var flags = info?.Split('\n').FirstOrDefault(l => l.StartsWith("flags:", StringComparison.Ordinal));
        if (flags is null)
        {
            return (true, true);
        }

        var mode = Convert.ToInt32(flags[6..].Trim(), 8) & 3;
        return (mode != 1, mode != 0);
    }

    private static string? Text(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
