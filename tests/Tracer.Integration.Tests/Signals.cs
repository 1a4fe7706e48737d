using System.Runtime.InteropServices;

namespace Tracer.Integration.Tests;

/// <summary>kill(2) for the processes tests start.</summary>
public static partial class Signals
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    public static int Named(string name) => name switch
    {
        "SIGINT" => SigInt,
        "SIGKILL" => SigKill,
        "SIGTERM" => SigTerm,
        "SIGCONT" => SigCont,
        "SIGSTOP" => SigStop,
        _ => throw new ArgumentException($"no signal named {name}", nameof(name)),
    };

    /// <summary>0 on success, -1 with errno set otherwise.</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Send(int pid, int signal);
}
