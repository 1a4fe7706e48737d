using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Tracer.Interop.Native;

namespace Tracer.Interop;

/// <summary>
/// Routes libbpf's own messages (verifier logs, CO-RE relocations, refusals)
/// to Microsoft.Extensions.Logging. Expected refusals during attach fallback are
/// part of those messages, so they go to Debug (libbpf warnings) and Trace (the rest).
/// </summary>
public static unsafe class LibbpfLog
{
    private static ILogger? logger;

    public static void Route(ILogger target)
    {
        logger = target;
        LibBpf.libbpf_set_print(&Print);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Print(libbpf_print_level level, byte* format, nint args)
    {
        var target = logger;
        var logLevel = level == libbpf_print_level.LIBBPF_WARN ? LogLevel.Debug : LogLevel.Trace;
        if (target is null || !target.IsEnabled(logLevel))
        {
            return 0;
        }

        const int capacity = 2048;
        var buffer = stackalloc byte[capacity];
        var length = LibC.vsnprintf(buffer, capacity, format, args);
        if (length < 0)
        {
            return 0;
        }

        var text = Encoding.UTF8.GetString(buffer, Math.Min(length, capacity - 1)).TrimEnd('\n');
        target.Log(logLevel, "{Message}", text);
        return length;
    }
}
