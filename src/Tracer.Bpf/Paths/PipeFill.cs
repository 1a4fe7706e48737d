using System.Globalization;

namespace Tracer.Bpf.Paths;

/// <summary>
/// How full a pipe or FIFO is: the pipe is opened again through /proc/PID/fd/FD (read-only,
/// non-blocking, so no one is woken or blocked) for FIONREAD (bytes queued) and F_GETPIPE_SZ (capacity).
/// </summary>
public static class PipeFill
{
    public static unsafe (ulong Queued, ulong Capacity)? Read(int pid, int fd, string procRoot = "/proc")
    {
        Span<byte> path = stackalloc byte[128];
        ProcLibC.CString(string.Create(CultureInfo.InvariantCulture, $"{procRoot}/{pid}/fd/{fd}"), path);
        int handle;
        fixed (byte* p = path)
        {
            handle = ProcLibC.open(p, ProcLibC.ORdOnly | ProcLibC.ONonBlock | ProcLibC.OCloExec);
        }

        if (handle < 0)
        {
            return null;
        }

        try
        {
            int queued;
            if (ProcLibC.ioctl(handle, ProcLibC.FionRead, &queued) != 0)
            {
                return null;
            }

            var capacity = ProcLibC.fcntl(handle, ProcLibC.FGetPipeSz, 0);
            return capacity < 0 ? null : ((ulong)queued, (ulong)capacity);
        }
        finally
        {
            ProcLibC.close(handle);
        }
    }
}
