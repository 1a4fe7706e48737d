using System.Runtime.InteropServices;

namespace Tracer.Interop;

/// <summary>The few libc calls the interop layer needs beside libbpf.</summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    [LibraryImport(Library)]
    internal static partial int vsnprintf(byte* buffer, nuint size, byte* format, nint args);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Library)]
    internal static partial int malloc_trim(nuint pad);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int eventfd(uint initialValue, int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int stat(byte* path, byte* statBuffer);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int munmap(void* address, nuint length);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_create1(int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_ctl(int epollFd, int operation, int fd, void* eventBuffer);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_wait(int epollFd, void* eventBuffer, int maxEvents, int timeoutMs);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int mount(byte* source, byte* target, byte* filesystemType, ulong flags, void* data);
}
