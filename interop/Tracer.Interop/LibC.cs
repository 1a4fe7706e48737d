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

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int stat(byte* path, byte* statBuffer);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int mount(byte* source, byte* target, byte* filesystemType, ulong flags, void* data);
}
