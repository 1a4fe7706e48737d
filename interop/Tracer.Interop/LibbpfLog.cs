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
    private const nuint Capacity = 1 << 20;
    private static readonly Lock Gate = new();
    private static ILogger? logger;
    private static byte* formatted;

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

        // a verifier log arrives as one message and its end says why a program was refused
        lock (Gate)
        {
            if (formatted == null)
            {
                formatted = (byte*)NativeMemory.Alloc(Capacity);
            }

            var length = LibC.vsnprintf(formatted, Capacity, format, args);
            if (length < 0)
            {
                return 0;
            }

            var text = Encoding.UTF8.GetString(formatted, Math.Min(length, (int)Capacity - 1)).TrimEnd('\n');
            target.Log(logLevel, "{Message}", text);
            return length;
        }
    }
}
