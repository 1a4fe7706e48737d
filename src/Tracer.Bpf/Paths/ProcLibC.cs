using System.Runtime.InteropServices;

namespace Tracer.Bpf.Paths;

/// <summary>The libc calls the /proc walk needs: links, pipe fill, and a netlink socket for unix_diag.</summary>
internal static unsafe partial class ProcLibC
{
    private const string Library = "libc";

    internal const int ORdOnly = 0;
    internal const int ONonBlock = 0x800;
    internal const int OCloExec = 0x80000;

    /// <summary>include/uapi/asm-generic/ioctls.h</summary>
    internal const uint FionRead = 0x541B;

    /// <summary>include/uapi/linux/fcntl.h: F_LINUX_SPECIFIC_BASE + 8</summary>
    internal const int FGetPipeSz = 1032;

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint readlink(byte* path, byte* buffer, nuint size);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint readlinkat(int directoryFd, byte* path, byte* buffer, nuint size);

    /// <summary>glibc 2.30+: the raw directory entries (struct linux_dirent64) of an open directory.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint getdents64(int fd, byte* buffer, nuint size);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int open(byte* path, int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, int* value);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int stat(byte* path, byte* statBuffer);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    /// <summary>A NUL-terminated copy of <paramref name="path"/> in <paramref name="buffer"/>.</summary>
    internal static Span<byte> CString(string path, Span<byte> buffer)
    {
        var n = System.Text.Encoding.UTF8.GetBytes(path, buffer[..^1]);
        buffer[n] = 0;
        return buffer[..(n + 1)];
    }
}
