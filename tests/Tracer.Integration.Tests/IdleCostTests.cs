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

    /// <summary>
    /// The always-on mode sleeps until a program wakes it or housekeeping is due (once a second), not
    /// on a poll timer: on a busy host every wake-up of the tracer takes a CPU from the workload. A
    /// stop request still ends it at once.
    /// </summary>
    [KernelFact]
    public void AnIdleRunWakesAboutOnceASecondAndStillStopsAtOnce()
    {
        var data = Directory.CreateTempSubdirectory("tracer-idle-run-");
        try
        {
            using var run = new RunTracerProcess(null, "run", "--data-dir", data.FullName);
            Thread.Sleep(2000);
            var before = VoluntarySwitches(run.Pid);
            Thread.Sleep(5000);
            var perSecond = (VoluntarySwitches(run.Pid) - before) / 5.0;
            Assert.True(perSecond <= 3, $"tracer run's main thread woke {perSecond:F1} times a second while idle");

            var asked = Stopwatch.StartNew();
            Assert.Equal(0, Signals.Send(run.Pid, Signals.Named("SIGTERM")));
            var (exit, _, stderr) = run.Finish(TimeSpan.FromSeconds(10));
            Assert.True(exit == 0, $"exit {exit}: {stderr}");
            Assert.True(asked.Elapsed < TimeSpan.FromSeconds(3), $"tracer run took {asked.Elapsed.TotalSeconds:F1} s to stop after SIGTERM");
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    /// <summary>How often the main thread (tid = pid) went to sleep, from /proc.</summary>
    private static long VoluntarySwitches(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/task/{pid}/status").First(l => l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)).Split(':')[1].Trim(), CultureInfo.InvariantCulture);

    /// <summary>utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux).</summary>
    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
