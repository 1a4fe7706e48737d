using System.Diagnostics;
using System.Globalization;

namespace Tracer.Integration.Tests;

/// <summary>A tracer with nothing to report waits in the kernel; it does not spin.</summary>
public sealed class IdleCostTests
{
    [KernelTheory]
    [InlineData("tcp", "--json")]
    [InlineData("slab", "--json")]
    public void AnIdleLiveCommandUsesAlmostNoCpu(string command, string option)
    {
        using var process = Process.Start(new ProcessStartInfo(TracerProcess.Binary, [command, option]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            Thread.Sleep(2000); // start-up: load, probe, attach
            var before = CpuTicks(process.Id);
            Thread.Sleep(3000);
            var used = TimeSpan.FromSeconds((CpuTicks(process.Id) - before) / 100.0);
            Assert.True(used < TimeSpan.FromSeconds(0.6), $"tracer {command} used {used.TotalSeconds:F2} s of CPU in 3 s");
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux).</summary>
    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
