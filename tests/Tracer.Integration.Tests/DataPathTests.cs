using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary><c>tracer attach</c> follows the data path: rsync over a real sshd, stalled at each hop in turn; a pipe into nc; no path at all.</summary>
[Collection(AttachCollection.Name)]
public sealed class DataPathTests(ITestOutputHelper output)
{
    [KernelTheory]
    [InlineData(true, "local rsync")]
    [InlineData(true, "ssh")]
    [InlineData(true, "sshd session")]
    [InlineData(true, "remote rsync")]
    [InlineData(false, "local rsync")]
    [InlineData(false, "ssh")]
    [InlineData(false, "sshd session")]
    [InlineData(false, "remote rsync")]
    public void RsyncOverSshStoppedAtAnyHopIsNamedThenSeenMovingAgain(bool push, string role)
    {
        using var transfer = SshRsync.Start(output, push);
        var stopped = transfer.Role(role);
        Assert.NotEmpty(stopped);
        stopped.ForEach(p => Signals.Send(p, Signals.SigStop));
        Thread.Sleep(300);

        var clock = Stopwatch.StartNew();
        var snapshot = TracerProcess.Run("attach", "--comm", "rsync", "--timeout", "0");
        var elapsed = clock.Elapsed;
        output.WriteLine($"{elapsed.TotalMilliseconds:F0} ms, exit {snapshot.ExitCode}\n{snapshot.Stdout}{snapshot.Stderr}");
        Assert.Equal(3, snapshot.ExitCode);
        var verdict = snapshot.Stdout.Split('\n').Single(l => l.StartsWith("verdict: STUCK — ", StringComparison.Ordinal));
        Assert.Matches($@"\b({string.Join('|', stopped)}) is stopped by a signal \(SIGSTOP/SIGTSTP\)$", verdict);
        Assert.Contains("data path: ", snapshot.Stdout, StringComparison.Ordinal);
        // the verdict within 1 s, start-up of the JIT-compiled binary included
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));

        // the hops between: from a running rsync (or the stopped rsync itself), through links, to the stopped process
        var hops = snapshot.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("data path: ", StringComparison.Ordinal)).Skip(1).TakeWhile(l => !l.StartsWith("  ok ", StringComparison.Ordinal) && l.Length > 0).ToList();
        Assert.StartsWith("  rsync ", hops[0], StringComparison.Ordinal);
        Assert.Matches($@"^  \S+ ({string.Join('|', stopped)}) is stopped", hops[^1]);
        Assert.True(role is "local rsync" or "remote rsync" ? hops.Count is 1 or > 2 : hops.Count > 2, $"{hops.Count} hops");
        Assert.All(hops.Where((_, i) => i % 2 == 1), h => Assert.StartsWith("    └─ ", h, StringComparison.Ordinal));

        using var live = BackgroundTracer.Start(["attach", "--comm", "rsync", "--json", "--timeout", "30"]);
        var path = live.WaitForLine(l => l.Contains("\"attach.path\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.NotNull(path);
        var graph = JsonDocument.Parse(path).RootElement;
        Assert.Equal("held", graph.GetProperty("verdict").GetProperty("state").GetString());
        Assert.Contains(graph.GetProperty("verdict").GetProperty("holder_pid").GetInt32(), stopped);
        stopped.ForEach(p => Signals.Send(p, Signals.SigCont));
        var (exitCode, lines) = live.WaitForExit(TimeSpan.FromSeconds(40));
        output.WriteLine(lines[^1] + live.Stderr);
        Assert.Equal(0, exitCode);
        // a connection the snapshot caught at zero window is judged by its recovery, which wins over "moving" (027237e)
        var records = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var zeroWindow = records.Any(r => r.GetProperty("kind").GetString() == "tcp.socket" && r.GetProperty("problem").GetString() == "zero_window");
        Assert.Equal(zeroWindow ? "recovered" : "moving", records[^1].GetProperty("verdict").GetString());
    }

    [KernelFact]
    public void APipeIntoNcWithItsReaderStoppedNamesTheReader()
    {
        using var loopback = new Loopback();
        var directory = Directory.CreateTempSubdirectory("tracer-nc-").FullName;
        using var pipeline = Process.Start(new ProcessStartInfo("/bin/sh", ["-c",
            $"exec </dev/null >/dev/null 2>/dev/null; head -c 3000000000 /dev/zero | nc -q0 127.0.0.1 {loopback.Port}"]) { UseShellExecute = false })!;
        try
        {
            // the test host accepts and never reads: nc's window closes; then nc is stopped and its pipe fills
            var server = loopback.Accept();
            Thread.Sleep(500);
            var nc = Pgrep("nc", pipeline.Id);
            Signals.Send(nc, Signals.SigStop);
            Thread.Sleep(300);
            var result = TracerProcess.Run("attach", "--comm", "head", "--timeout", "0");
            output.WriteLine(result.Stdout + result.Stderr);
            Assert.Equal(3, result.ExitCode);
            Assert.Contains($"full pipe pipe:[", result.Stdout, StringComparison.Ordinal);
            Assert.EndsWith($"nc {nc} is stopped by a signal (SIGSTOP/SIGTSTP)", result.Stdout.Split('\n').Single(l => l.StartsWith("verdict:", StringComparison.Ordinal)), StringComparison.Ordinal);
            Signals.Send(nc, Signals.SigCont);
        }
        finally
        {
            Signals.Send(pipeline.Id, Signals.SigKill);
            foreach (var p in new[] { "head", "nc" }.Select(n => Pgrep(n, pipeline.Id)).Where(p => p > 0))
            {
                Signals.Send(p, Signals.SigKill);
            }

            pipeline.WaitForExit();
            Directory.Delete(directory, recursive: true);
        }
    }

    [KernelFact]
    public void TcpByCommCountsTheConnectionOnTheTargetsDataPathAsItsOwnAtOnce()
    {
        using var loopback = new Loopback();
        using var pipeline = Process.Start(new ProcessStartInfo("/bin/sh", ["-c",
            $"exec </dev/null >/dev/null 2>/dev/null; head -c 3000000000 /dev/zero | nc -q0 127.0.0.1 {loopback.Port}"]) { UseShellExecute = false })!;
        try
        {
            // the test host never reads: nc's connection sits at zero window, head holds no socket at all
            var server = loopback.Accept();
            Thread.Sleep(1000);
            var nc = Pgrep("nc", pipeline.Id);
            var result = TracerProcess.Run("tcp", "--comm", "head", "--json", "--duration", "2");
            output.WriteLine(result.Stdout + result.Stderr);
            Assert.Equal(0, result.ExitCode);
            var start = JsonDocument.Parse(result.Stdout.Split('\n').First(l => l.Contains("\"tcp.zero_window.start\"", StringComparison.Ordinal))).RootElement;
            Assert.Equal(nc, start.GetProperty("pid").GetInt32());
            Assert.Equal(loopback.Port, start.GetProperty("dport").GetInt32());
        }
        finally
        {
            Signals.Send(pipeline.Id, Signals.SigKill);
            foreach (var p in new[] { "head", "nc" }.Select(n => Pgrep(n, pipeline.Id)).Where(p => p > 0))
            {
                Signals.Send(p, Signals.SigKill);
            }

            pipeline.WaitForExit();
        }
    }

    [KernelFact]
    public void TargetsThatExitDuringTheWalkGiveOneLineNeverATrace()
    {
        // a shell forking short pipelines: each attach meets its short-lived head (a name of its own: other
        // heads run on the machine) and cat exiting under the walk; when the head is gone by the graph, the
        // sentence says so and never names its parent shell
        var directory = Directory.CreateTempSubdirectory("tracer-exit-").FullName;
        var name = string.Create(CultureInfo.InvariantCulture, $"hd{Environment.ProcessId}");
        File.CreateSymbolicLink(Path.Combine(directory, name), "/usr/bin/head");
        using var churn = LoneProcess.Start($"bash -c 'while :; do {directory}/{name} -c 2000000 /dev/zero | cat >/dev/null; done'");
        try
        {
            for (var i = 0; i < 15; i++)
            {
                var result = TracerProcess.Run("attach", "--comm", name, "--timeout", "0");
                output.WriteLine(result.Stdout + result.Stderr);
                Assert.Equal(1, result.ExitCode);
                Assert.Empty(result.Stdout);
                Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
                Assert.Matches($"^tracer: (--comm {name}: no process has this command name|no network path found from {name} [0-9]+: |no process left to follow: the target exited)", result.Stderr);
            }
        }
        finally
        {
            churn.Kill(entireProcessTree: true);
            churn.WaitForExit();
            Directory.Delete(directory, recursive: true);
        }
    }

    [KernelFact]
    public void ATargetWithNoSocketsAndNoPipesIsOneSentence()
    {
        using var sleeper = LoneProcess.Start("sleep 30");
        try
        {
            var result = TracerProcess.Run("attach", "--pid", sleeper.Id.ToString(CultureInfo.InvariantCulture));
            output.WriteLine(result.Stdout + result.Stderr);
            Assert.Equal(1, result.ExitCode);
            Assert.Empty(result.Stdout);
            Assert.Equal($"tracer: no network path found from sleep {sleeper.Id}: it waits in clock_nanosleep(…) at hrtimer_nanosleep; it shares no pipe or unix socket with another process\n",
                result.Stderr.Replace("at do_nanosleep", "at hrtimer_nanosleep", StringComparison.Ordinal));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    private static int Pgrep(string comm, int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
                    File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n') == comm &&
                    File.ReadLines(Path.Combine(dir, "status")).First(l => l.StartsWith("PPid:", StringComparison.Ordinal))[5..].Trim() == parent.ToString(CultureInfo.InvariantCulture))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
                // exited while we looked
            }
        }

        return 0;
    }
}
