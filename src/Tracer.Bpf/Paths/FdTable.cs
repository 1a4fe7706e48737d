using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Tracer.Bpf.Paths;

/// <summary>What an open file is, as far as the data path cares.</summary>
public enum FdKind : byte
{
    Pipe = 0,
    Fifo = 1,
    Socket = 2,
}

/// <summary>A pipe, FIFO or socket a process holds at <see cref="Fd"/>; <see cref="Inode"/> identifies the object.</summary>
public readonly record struct OpenFile(int Fd, FdKind Kind, ulong Inode);

/// <summary>
/// Every process's pipes, FIFOs and sockets, from /proc/PID/fd links (<c>pipe:[INODE]</c>,
/// <c>socket:[INODE]</c>, a path that stats as a FIFO), indexed both ways: by process, and by
/// object to every (process, fd) holding it. Also each process's parent, from /proc/PID/stat.
/// </summary>
public sealed class FdTable
{
    private static readonly List<(int Pid, int Fd)> None = [];
    private readonly Dictionary<int, List<OpenFile>> byPid = [];
    private readonly Dictionary<(FdKind, ulong), List<(int Pid, int Fd)>> holders = [];
    private readonly Dictionary<int, int> parents = [];

    public string ProcRoot { get; }

    private FdTable(string procRoot) => ProcRoot = procRoot;

    public IReadOnlyCollection<int> Pids => byPid.Keys;

    public static FdTable Scan(string procRoot = "/proc")
    {
        var table = new FdTable(procRoot);
        foreach (var dir in Directory.EnumerateDirectories(procRoot))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                table.Add(pid, dir);
            }
        }

        return table;
    }

    public IReadOnlyList<OpenFile> FilesOf(int pid) => byPid.TryGetValue(pid, out var files) ? files : [];

    /// <summary>Every (process, fd) holding the object.</summary>
    public IReadOnlyList<(int Pid, int Fd)> Holders(FdKind kind, ulong inode) => holders.TryGetValue((kind, inode), out var list) ? list : None;

    public int ParentOf(int pid) => parents.GetValueOrDefault(pid);

    public IEnumerable<int> ChildrenOf(int pid) => parents.Where(p => p.Value == pid).Select(p => p.Key).Order();

    private unsafe void Add(int pid, string dir)
    {
        var files = new List<OpenFile>();
        byPid[pid] = files;
        if (ProcessReader.ParentOf(dir) is { } parent)
        {
            parents[pid] = parent;
        }

        // getdents64 and readlinkat: Directory.EnumerateFileSystemEntries would lstat and stat every link
        var fdDir = Path.Combine(dir, "fd");
        Span<byte> path = stackalloc byte[fdDir.Length * 3 + 1];
        ProcLibC.CString(fdDir, path);
        int dirFd;
        fixed (byte* p = path)
        {
            dirFd = ProcLibC.open(p, ProcLibC.ORdOnly | ProcLibC.OCloExec);
        }

        if (dirFd < 0)
        {
            return; // exited, or its fds are hidden from us
        }

        try
        {
            const int EntriesSize = 32 * 1024;
            var entries = stackalloc byte[EntriesSize];
            Span<byte> target = stackalloc byte[256];
            nint read;
            while ((read = ProcLibC.getdents64(dirFd, entries, EntriesSize)) > 0)
            {
                // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name
                for (nint at = 0; at < read; at += *(ushort*)(entries + at + 16))
                {
                    var name = entries + at + 19;
                    if (!int.TryParse(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name), NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
                    {
                        continue; // "." and ".."
                    }

                    nint length;
                    fixed (byte* t = target)
                    {
                        length = ProcLibC.readlinkat(dirFd, name, t, (nuint)target.Length);
                    }

                    // only a target that is a path (maybe a FIFO) needs the link's own path, to stat it
                    var link = length > 0 && target[0] == (byte)'/' ? string.Create(CultureInfo.InvariantCulture, $"{fdDir}/{fd}") : fdDir;
                    if (length > 0 && Classify(link, target[..(int)length]) is { } file)
                    {
                        Hold(pid, files, file with { Fd = fd });
                    }
                }
            }
        }
        finally
        {
            ProcLibC.close(dirFd);
        }
    }

    private void Hold(int pid, List<OpenFile> files, OpenFile file)
    {
        files.Add(file);
        var key = (file.Kind, file.Inode);
        if (!holders.TryGetValue(key, out var list))
        {
            holders[key] = list = [];
        }

        list.Add((pid, file.Fd));
    }

    /// <summary>A link's target as an open file; null for files the data path does not follow.</summary>
    public static OpenFile? Classify(string link, ReadOnlySpan<byte> target)
    {
        if (Inode(target, "pipe:["u8) is { } pipe)
        {
            return new OpenFile(0, FdKind.Pipe, pipe);
        }

        if (Inode(target, "socket:["u8) is { } socket)
        {
            return new OpenFile(0, FdKind.Socket, socket);
        }

        // a named FIFO shows as its path: only a stat tells it from a file
        return target.Length > 0 && target[0] == (byte)'/' && !target.StartsWith("/dev/"u8) && FifoInode(link) is { } fifo
            ? new OpenFile(0, FdKind.Fifo, fifo)
            : null;
    }

    private static ulong? Inode(ReadOnlySpan<byte> target, ReadOnlySpan<byte> prefix) =>
        target.StartsWith(prefix) && target.EndsWith("]"u8) &&
        ulong.TryParse(Encoding.ASCII.GetString(target[prefix.Length..^1]), NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
            ? inode : null;

    private static unsafe ulong? FifoInode(string link)
    {
        const uint TypeMask = 0xF000;
        const uint Fifo = 0x1000;
        Span<byte> path = stackalloc byte[link.Length * 3 + 1];
        ProcLibC.CString(link, path);
        var buffer = stackalloc byte[256]; // struct stat (x86_64: 144 bytes, arm64: 128)
        fixed (byte* p = path)
        {
            if (ProcLibC.stat(p, buffer) != 0)
            {
                return null;
            }
        }

        // st_ino at 8; st_mode at 24 on x86_64, at 16 on arm64 (asm-generic stat)
        var mode = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64
            ? *(uint*)(buffer + 24) : *(uint*)(buffer + 16);
        return (mode & TypeMask) == Fifo ? *(ulong*)(buffer + 8) : null;
    }
}
