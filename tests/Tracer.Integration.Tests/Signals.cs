using System.Runtime.InteropServices;

namespace Tracer.Integration.Tests;

/// <summary>kill(2) for the processes tests start.</summary>
public static partial class Signals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>0 on success, -1 with errno set otherwise.</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Send(int pid, int signal);
}
