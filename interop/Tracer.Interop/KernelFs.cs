using System.Runtime.InteropServices;

namespace Tracer.Interop;

/// <summary>The kernel's pseudo file systems some attach methods need (tracefs for classic tracepoints, bpffs for pins).</summary>
public static unsafe class KernelFs
{
    public const string TracefsPath = "/sys/kernel/tracing";
    public const string BpffsPath = "/sys/fs/bpf";

    public static bool IsMounted(string path, string filesystemType) =>
        Mounts().Any(m => m.Path == path && m.FilesystemType == filesystemType);

    /// <summary>Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems).</summary>
    public static string? Cgroup2Root => Mounts().FirstOrDefault(m => m.FilesystemType == "cgroup2").Path;

    private static IEnumerable<(string Path, string FilesystemType)> Mounts()
    {
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 2)
            {
                yield return (fields[1], fields[2]);
            }
        }
    }

    /// <summary>Mounts tracefs at /sys/kernel/tracing unless it is there; true when this call mounted it.</summary>
    public static bool EnsureTracefs() => EnsureMounted("tracefs", TracefsPath);

    /// <summary>Mounts bpffs at /sys/fs/bpf unless it is there; true when this call mounted it.</summary>
    public static bool EnsureBpffs() => EnsureMounted("bpf", BpffsPath);

    /// <summary>
    /// A file's inode number. A cgroup v2 directory's inode is the cgroup id the
    /// kernel reports (<c>kn->id</c>), which is what socket cgroup filters compare.
    /// </summary>
    public static ulong Inode(string path)
    {
        // struct stat is 144 bytes on x86_64 and arm64; st_ino follows the 8-byte st_dev on both
        const int statSize = 256;
        var buffer = stackalloc byte[statSize];
        using var utf8 = new Utf8String(path);
        if (LibC.stat(utf8.Pointer, buffer) != 0)
        {
            throw new BpfException("stat", Marshal.GetLastPInvokeError(), path);
        }

        return *(ulong*)(buffer + 8);
    }

    private static bool EnsureMounted(string filesystemType, string path)
    {
        if (IsMounted(path, filesystemType))
        {
            return false;
        }

        using var source = new Utf8String(filesystemType);
        using var target = new Utf8String(path);
        if (LibC.mount(source.Pointer, target.Pointer, source.Pointer, 0, null) != 0)
        {
            throw new BpfException("mount", Marshal.GetLastPInvokeError(), $"{filesystemType} on {path}");
        }

        return true;
    }
}
