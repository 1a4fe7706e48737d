using System.Diagnostics;

namespace Tracer.Integration.Tests;

/// <summary>
/// A process that shares nothing with the test host: stdio on /dev/null, every other inherited
/// descriptor closed (the test runner passes a pipe, fd 251, to its children), its own session.
/// </summary>
public static class LoneProcess
{
    /// <summary>Starts <paramref name="command"/> (words for bash) and returns once the shell has become it.</summary>
    public static Process Start(string command)
    {
        var process = Process.Start(new ProcessStartInfo("/bin/bash", ["-c",
            $"for fd in /proc/$$/fd/*; do n=${{fd##*/}}; [ \"$n\" -gt 2 ] && exec {{n}}>&-; done; exec setsid {command} </dev/null >/dev/null 2>&1"])
        { UseShellExecute = false })!;
        var name = command.Split(' ')[0];
        var deadline = Stopwatch.StartNew();
        while (File.ReadAllText($"/proc/{process.Id}/comm").TrimEnd('\n') != name)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"bash did not exec {name}");
            Thread.Sleep(10);
        }

        return process;
    }
}
