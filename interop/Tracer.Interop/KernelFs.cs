using System.Runtime.InteropServices;

namespace Tracer.Interop;

/// <summary>The kernel's pseudo file systems some attach methods need (tracefs for classic tracepoints, bpffs for pins).</summary>
public static unsafe class KernelFs
{
    public const string TracefsPath = "/sys/kernel/tracing";
    public const string BpffsPath = "/sys/fs/bpf";

    public static bool IsMounted(string path, string filesystemType)
    {
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 2 && fields[1] == path && fields[2] == filesystemType)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Mounts tracefs at /sys/kernel/tracing unless it is there; true when this call mounted it.</summary>
    public static bool EnsureTracefs() => EnsureMounted("tracefs", TracefsPath);

    /// <summary>Mounts bpffs at /sys/fs/bpf unless it is there; true when this call mounted it.</summary>
    public static bool EnsureBpffs() => EnsureMounted("bpf", BpffsPath);

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
