using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Tracer.Bpf.Attach;
using Tracer.Interop;
using Tracer.Interop.Events;

namespace Tracer.Bpf.Paths;

/// <summary>A pipe, FIFO or socket a process holds at <see cref="Fd"/>; <see cref="Inode"/> identifies the object.</summary>
public readonly record struct OpenFile(int Fd, OpenFileKind Kind, ulong Inode);

/// <summary>
/// Every process's pipes, FIFOs and sockets, indexed both ways: by process, and by object to every
/// (process, fd) holding it; also each process's parent. Read in one pass of the task_file iterator
/// (bpf/fdscan.bpf.c), or, where the kernel refuses it, from /proc/PID/fd links (<c>pipe:[INODE]</c>,
/// <c>socket:[INODE]</c>, a path that stats as a FIFO) and /proc/PID/stat: a readlink per descriptor.
/// </summary>
public sealed class FdTable
{
    public const string ObjectName = "fdscan";
    public const string ProgramName = "scan_files";

    private static readonly List<(int Pid, int Fd)> None = [];
    private readonly Dictionary<int, List<OpenFile>> byPid = [];
    private readonly Dictionary<(OpenFileKind, ulong), List<(int Pid, int Fd)>> holders = [];
    private readonly Dictionary<int, int> parents = [];

    public string ProcRoot { get; }

    /// <summary>How the table was read: "task_file iterator" or "/proc".</summary>
    public string Method { get; }

    private FdTable(string procRoot, string method) => (ProcRoot, Method) = (procRoot, method);

    /// <summary>The table from the task_file iterator, or from /proc when the kernel refuses the iterator.</summary>
    public static FdTable Read(BpfSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        try
        {
            return FromIterator(settings, logger);
        }
        catch (BpfException e)
        {
            logger.LogDebug("fdscan: the task_file iterator is refused ({Reason}); reading /proc/PID/fd instead", e.Message);
            return Scan();
        }
    }

    /// <summary>The table from one pass of the task_file iterator; throws when the kernel refuses it.</summary>
    public static FdTable FromIterator(BpfSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        var clock = Stopwatch.StartNew();
        using var obj = BpfObject.Open(ObjectName, EmbeddedObjects.Read(ObjectName), settings.BtfPath);
        obj.Load();
        using var link = obj.Program(ProgramName).Attach();
        var loadTime = clock.Elapsed;
        var bytes = BpfIterator.ReadAll(link);
        var readTime = clock.Elapsed - loadTime;
        if (bytes.Length % Marshal.SizeOf<OpenFileRecord>() != 0)
        {
            throw new InvalidDataException($"task_file iterator wrote {bytes.Length} bytes, not a whole number of {Marshal.SizeOf<OpenFileRecord>()}-byte records");
        }

        var table = FromRecords(MemoryMarshal.Cast<byte, OpenFileRecord>(bytes));
        logger.LogDebug("fdscan: loaded in {Load} ms, iterated in {Read} ms, {Bytes} bytes, indexed in {Index} ms", loadTime.TotalMilliseconds, readTime.TotalMilliseconds, bytes.Length, (clock.Elapsed - loadTime - readTime).TotalMilliseconds);
        return table;
    }

    /// <summary>The table from the task_file iterator's records.</summary>
    public static FdTable FromRecords(ReadOnlySpan<OpenFileRecord> records)
    {
        var table = new FdTable("/proc", "task_file iterator");
        table.holders.EnsureCapacity(records.Length);
        foreach (ref readonly var r in records)
        {
            var pid = (int)r.tgid;
            if (!table.byPid.TryGetValue(pid, out var files))
            {
                table.byPid[pid] = files = [];
                table.parents[pid] = (int)r.ppid;
            }

            table.Hold(pid, files, new OpenFile((int)r.fd, (OpenFileKind)r.kind, r.inode));
        }

        return table;
    }

    /// <summary>The table from /proc/PID/fd links.</summary>
    public static FdTable Scan(string procRoot = "/proc")
    {
        var table = new FdTable(procRoot, "/proc");
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
    public IReadOnlyList<(int Pid, int Fd)> Holders(OpenFileKind kind, ulong inode) => holders.TryGetValue((kind, inode), out var list) ? list : None;

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
            return new OpenFile(0, OpenFileKind.Pipe, pipe);
        }

        if (Inode(target, "socket:["u8) is { } socket)
        {
            return new OpenFile(0, OpenFileKind.Socket, socket);
        }

        // a named FIFO shows as its path: only a stat tells it from a file
        return target.Length > 0 && target[0] == (byte)'/' && !target.StartsWith("/dev/"u8) && FifoInode(link) is { } fifo
            ? new OpenFile(0, OpenFileKind.Fifo, fifo)
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
