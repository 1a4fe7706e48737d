using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary><c>tracer attach</c> against real processes: a stalled rsync, none, hundreds of idle sockets, bad input.</summary>
[Collection(AttachCollection.Name)]
public sealed class AttachTests(ITestOutputHelper output)
{
    [KernelTheory]
    [InlineData("comm")]
    [InlineData("pid")]
    [InlineData("port")]
    public void RealRsyncStallIsReportedAtOnceThenRecoversLive(string by)
    {
        using var stall = RsyncStall.Start(output);
        string[] target = by switch
        {
            "comm" => ["--comm", "rsync"],
            "pid" => ["--pid", stall.SenderPid.ToString(CultureInfo.InvariantCulture)],
            _ => ["--port", RsyncStall.Port.ToString(CultureInfo.InvariantCulture)],
        };

        // the snapshot alone: the zero-window block names the sender, its unsent bytes and the persist timer
        var snapshot = TracerProcess.Run(["attach", .. target, "--timeout", "0"]);
        output.WriteLine(snapshot.Stdout + snapshot.Stderr);
        Assert.Equal(3, snapshot.ExitCode); // the stopped client is on the data path (issue 14)
        Assert.Contains("is stopped by a signal (SIGSTOP/SIGTSTP)", snapshot.Stdout, StringComparison.Ordinal);
        var block = snapshot.Stdout.Split("\n\n").Single(b => b.TrimStart().StartsWith("ZERO WINDOW", StringComparison.Ordinal));
        Assert.Contains($"ZERO WINDOW  {stall.SenderPid}/rsync  127.0.0.1:873 → 127.0.0.1:", block, StringComparison.Ordinal);
        Assert.Matches(@"zero window with [0-9.]+ [kM]B unsent", block);
        Assert.Contains("persist timer firing", block, StringComparison.Ordinal);
        Assert.Contains("the next peer answer will tell whether the kernel ignores it", block, StringComparison.Ordinal);
        Assert.Matches(@"timer    persist (in|overdue by) ", block);

        // live: the same verdict as JSON, then SIGCONT, and the live phase reports the recovery
        using var live = BackgroundTracer.Start(["attach", .. target, "--json", "--timeout", "60"]);
        var start = live.WaitForLine(l => l.Contains("\"tcp.zero_window.start\"", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.NotNull(start);
        stall.Resume();
        var (exitCode, lines) = live.WaitForExit(TimeSpan.FromSeconds(60));
        output.WriteLine(string.Join('\n', lines) + live.Stderr);
        Assert.Equal(0, exitCode);

        var records = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(records, r => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r.GetProperty("time").GetString()));
        Assert.All(records, r => Assert.True(r.GetProperty("ts_ns").GetUInt64() > 0));
        var zero = Assert.Single(records, r => r.GetProperty("kind").GetString() == "tcp.socket" && r.GetProperty("problem").GetString() == "zero_window");
        Assert.Equal(stall.SenderPid, zero.GetProperty("pid").GetInt32());
        Assert.Equal("rsync", zero.GetProperty("comm").GetString());
        Assert.Equal(RsyncStall.Port, zero.GetProperty("sport").GetInt32());
        Assert.True(zero.GetProperty("unsent").GetUInt32() > 0);
        Assert.Equal(0U, zero.GetProperty("snd_wnd").GetUInt32());
        Assert.Equal("persist", zero.GetProperty("timer").GetString());
        var cookie = zero.GetProperty("cookie").GetUInt64();
        Assert.Contains(records, r => r.GetProperty("kind").GetString() == "tcp.zero_window.end" && r.GetProperty("cookie").GetUInt64() == cookie);
        Assert.Equal("recovered", records[^1].GetProperty("verdict").GetString());
        Assert.True(records.FindIndex(r => r.GetProperty("kind").GetString() != "tcp.socket") > records.FindLastIndex(r => r.GetProperty("kind").GetString() == "tcp.socket"),
            "the snapshot records come first, then the findings");
    }

    [KernelFact]
    public void AProcessWithoutTcpSocketsOrAPathToOneGetsAQuickSentenceAndExit1()
    {
        using var sleeper = LoneProcess.Start("sleep 30");
        try
        {
            var clock = Stopwatch.StartNew();
            var result = TracerProcess.Run("attach", "--pid", sleeper.Id.ToString(CultureInfo.InvariantCulture));
            output.WriteLine($"{clock.ElapsedMilliseconds} ms\n{result.Stdout}{result.Stderr}");
            Assert.Equal(1, result.ExitCode);
            Assert.Empty(result.Stdout);
            Assert.StartsWith($"tracer: no network path found from sleep {sleeper.Id}: it waits in clock_nanosleep(", result.Stderr, StringComparison.Ordinal);
            Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [KernelFact]
    public void HundredsOfIdleSocketsAreAllReportedQuickly()
    {
        const int Connections = 300;
        using var loopback = new Loopback();
        var ports = new HashSet<int>();
        for (var i = 0; i < Connections; i++)
        {
            var (client, _) = loopback.Connect();
            ports.Add(((IPEndPoint)client.LocalEndPoint!).Port);
        }

        var clock = Stopwatch.StartNew();
        var result = TracerProcess.Run("attach", "--pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "--json");
        output.WriteLine($"{clock.ElapsedMilliseconds} ms, {result.Stdout.Length} bytes of JSON{result.Stderr}");
        Assert.Equal(0, result.ExitCode);
        var sockets = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("kind").GetString() == "tcp.socket")
            .ToList();
        var ours = sockets.Where(s => s.GetProperty("sport").GetInt32() == loopback.Port || s.GetProperty("dport").GetInt32() == loopback.Port).ToList();
        Assert.Equal((2 * Connections) + 1, ours.Count); // both ends of each connection, and the listener
        Assert.All(ours, s => Assert.Equal(Environment.ProcessId, s.GetProperty("pid").GetInt32()));
        Assert.All(ours, s => Assert.Equal("none", s.GetProperty("problem").GetString()));
        Assert.Equal(ports.Order(), ours.Where(s => s.GetProperty("dport").GetInt32() == loopback.Port).Select(s => s.GetProperty("sport").GetInt32()).Order());

        // window scales are bitfields: the iterator's reading must match ss for the same socket
        var clientSocket = ours.First(s => s.GetProperty("dport").GetInt32() == loopback.Port);
        var (send, receive) = Ss.WindowScales(clientSocket.GetProperty("sport").GetInt32());
        Assert.Equal(send, clientSocket.GetProperty("snd_wscale").GetInt32());
        Assert.Equal(receive, clientSocket.GetProperty("rcv_wscale").GetInt32());
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }

    [KernelTheory]
    [InlineData("--pid", "999999999", 2, "tracer: --pid 999999999: no such process")]
    [InlineData("--port", "70000", 2, "tracer: --port 70000: a port is 1 to 65535")]
    [InlineData("--port", "0", 2, "tracer: --port 0: a port is 1 to 65535")]
    [InlineData("--comm", "no-such-comm", 1, "tracer: --comm no-such-comm: no process has this command name")]
    public void BadInputIsOneSentence(string option, string value, int exitCode, string message)
    {
        var result = TracerProcess.Run("attach", option, value);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Equal(message, result.Stderr.TrimEnd('\n'));
        Assert.Empty(result.Stdout);
    }

    [KernelFact]
    public void APidThatExitsDuringTheAttachIsOneSentence()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var brief = Process.Start(new ProcessStartInfo("sleep", "0.15") { UseShellExecute = false })!;
            var result = TracerProcess.Run("attach", "--pid", brief.Id.ToString(CultureInfo.InvariantCulture), "--timeout", "0");
            output.WriteLine($"exit {result.ExitCode}: {result.Stderr}");
            brief.WaitForExit();
            if (result.ExitCode == 2)
            {
                Assert.Equal($"tracer: --pid {brief.Id}: no such process\n", result.Stderr); // gone before the command line was read
                return;
            }

            if (result.ExitCode == 1)
            {
                Assert.Matches($"^tracer: --pid {brief.Id}: (the process exited|the process exited during the attach)\n$", result.Stderr);
                return;
            }

            Assert.Equal(0, result.ExitCode); // the snapshot was quicker than the process
        }
    }
}

/// <summary>CONFIG_HZ turns the iterator's jiffies into time; without a kernel config it is inferred.</summary>
public sealed class KernelHzTests
{
    [KernelFact]
    public void InferenceFromJiffiesAgreesWithTheKernelConfig()
    {
        var configured = Tracer.Bpf.Snapshot.KernelHz.FromConfig(Tracer.Bpf.KernelSupport.KernelRelease);
        Assert.NotNull(configured);
        var timerList = File.ReadLines("/proc/timer_list").Take(200).ToList();
        var nowNs = ulong.Parse(timerList.First(l => l.StartsWith("now at ", StringComparison.Ordinal)).Split(' ')[2], CultureInfo.InvariantCulture);
        var jiffies = ulong.Parse(timerList.First(l => l.StartsWith("jiffies: ", StringComparison.Ordinal))["jiffies: ".Length..], CultureInfo.InvariantCulture);

        Assert.Equal(configured, Tracer.Bpf.Snapshot.KernelHz.Infer(jiffies, nowNs));
    }
}

[CollectionDefinition(Name)]
public sealed class AttachCollection
{
    public const string Name = "attach (rsync daemon on port 873)";
}

/// <summary>A tracer run in the background whose stdout lines arrive as they are written.</summary>
internal sealed class BackgroundTracer : IDisposable
{
    private readonly Process process;
    private readonly BlockingCollection<string> lines = [];
    private readonly List<string> seen = [];
    private readonly System.Text.StringBuilder stderr = new();

    private BackgroundTracer(Process process) => this.process = process;

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    public static BackgroundTracer Start(string[] args)
    {
        var start = new ProcessStartInfo(TracerProcess.Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        var tracer = new BackgroundTracer(Process.Start(start)!);
        tracer.process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                tracer.lines.CompleteAdding();
            }
            else if (e.Data.Length > 0)
            {
                tracer.lines.Add(e.Data);
            }
        };
        tracer.process.ErrorDataReceived += (_, e) =>
        {
            lock (tracer.stderr)
            {
                tracer.stderr.AppendLine(e.Data);
            }
        };
        tracer.process.BeginOutputReadLine();
        tracer.process.BeginErrorReadLine();
        return tracer;
    }

    public string? WaitForLine(Func<string, bool> predicate, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && lines.TryTake(out var line, timeout - clock.Elapsed))
        {
            seen.Add(line);
            if (predicate(line))
            {
                return line;
            }
        }

        return null;
    }

    public (int ExitCode, List<string> Lines) WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill();
            throw new TimeoutException($"tracer did not finish within {timeout}");
        }

        process.WaitForExit();
        seen.AddRange(lines.GetConsumingEnumerable());
        return (process.ExitCode, seen);
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
        lines.Dispose();
    }
}
