using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>
/// However tracer ends — its duration, SIGINT, SIGTERM, SIGKILL, or an error while attached —
/// nothing of it stays in the kernel: every BPF program, link and map the process held (read from
/// its own /proc/PID/fdinfo, so other tracers on the machine do not count) is gone afterwards.
/// </summary>
public sealed class CleanDetachTests(ITestOutputHelper output)
{
    private const string StdoutFull = "stdout full";
    private const string StdoutFullMessage = "tracer: writing to standard output: ENOSPC (No space left on device)";

    public static TheoryData<string, string> Endings()
    {
        var endings = new TheoryData<string, string> { { "doctor", "exit" } };
        foreach (var command in new[] { "tcp", "run", "slab", "attach" })
        {
            foreach (var ending in new[] { "duration", "SIGINT", "SIGTERM", "SIGKILL", StdoutFull })
            {
                endings.Add(command, ending);
            }
        }

        return endings;
    }

    [KernelTheory]
    [MemberData(nameof(Endings))]
    public void NothingRemainsInTheKernel(string command, string ending)
    {
        using var loopback = new Loopback();
        if (command == "attach")
        {
            // a zero-window connection keeps attach watching live after its snapshot
            Loopback.FillUntilBlocked(loopback.Connect().Client);
        }

        var dataDir = Directory.CreateTempSubdirectory("tracer-detach-");
        var start = new ProcessStartInfo(ending == StdoutFull ? "sh" : TracerProcess.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (ending == StdoutFull)
        {
            foreach (var a in new[] { "-c", "exec \"$0\" \"$@\" > /dev/full", TracerProcess.Binary })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in Arguments(command, ending, loopback.Port, dataDir.FullName))
        {
            start.ArgumentList.Add(a);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var held = HeldObjects.Watch(process.Id);
        if (ending.StartsWith("SIG", StringComparison.Ordinal))
        {
            // two links at once: a component is attached, not a single candidate being tried
            WaitUntil(() => held.LinksNow >= 2, $"tracer {command} never attached");
            Assert.Equal(0, Signals.Send(process.Id, Signals.Named(ending)));
        }
        else if (ending == StdoutFull)
        {
            WaitUntil(() => held.LinksNow >= 2 || process.HasExited, $"tracer {command} never attached");
            for (var clock = Stopwatch.StartNew(); !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(20);)
            {
                MakeOutput(command, loopback);
            }
        }

        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), $"tracer {command} did not end after {ending}");
        process.WaitForExit();
        output.WriteLine($"exit {process.ExitCode}; held {held}\n{stderr.Result}");
        Assert.DoesNotContain("   at ", stderr.Result, StringComparison.Ordinal);
        Assert.DoesNotContain("xception", stderr.Result, StringComparison.Ordinal);
        if (ending == StdoutFull)
        {
            Assert.Equal(1, process.ExitCode);
            Assert.Equal(StdoutFullMessage, stderr.Result.TrimEnd('\n').Split('\n')[^1]);
        }
        else if (ending != "SIGKILL")
        {
            Assert.Equal(0, process.ExitCode);
        }

        Assert.True(held.Seen.Count > 0, "no BPF object of tracer was ever seen: the test proves nothing");
        // the kernel frees a process's objects once its file descriptors are closed, some after an RCU grace period
        WaitUntil(() => held.StillInKernel().Count == 0, $"BPF objects left behind: {string.Join(", ", held.StillInKernel())}");
        dataDir.Delete(recursive: true);
    }

    private static string[] Arguments(string command, string ending, ushort port, string dataDir)
    {
        var seconds = ending == "duration" ? "3" : "60";
        var p = port.ToString(CultureInfo.InvariantCulture);
        return command switch
        {
            "tcp" => ["tcp", "--json", "--every-segment", "--port", p, "--duration", seconds],
            "run" => ["run", "--data-dir", dataDir, "--port", p, "--duration", seconds],
            "slab" => ["slab", "--json", "--interval", "0.2", "--duration", seconds],
            "attach" => ["attach", "--port", p, "--json", "--timeout", seconds],
            _ => [command],
        };
    }

    /// <summary>Something the command writes to standard output (slab and attach write on their own).</summary>
    private static void MakeOutput(string command, Loopback loopback)
    {
        switch (command)
        {
            case "tcp":
                var (client, server) = loopback.Connect();
                Loopback.Transfer(client, server, 1 << 20);
                break;
            case "run":
                ZeroWindowEpisode.Make(loopback, TimeSpan.FromSeconds(1));
                break;
            default:
                Thread.Sleep(100);
                break;
        }
    }

    private static void WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), failure);
            Thread.Sleep(20);
        }
    }

    /// <summary>The BPF programs, maps and links one process holds, read from its fdinfo until it exits.</summary>
    private sealed class HeldObjects
    {
        private readonly HashSet<(string Kind, int Id)> seen = [];
        private volatile int linksNow;

        public int LinksNow => linksNow;

        public IReadOnlyCollection<(string Kind, int Id)> Seen
        {
            get
            {
                lock (seen)
                {
                    return seen.ToList();
                }
            }
        }

        public static HeldObjects Watch(int pid)
        {
            var held = new HeldObjects();
            var fdinfo = $"/proc/{pid}/fdinfo";
            new Thread(() =>
            {
                while (Directory.Exists(fdinfo))
                {
                    held.Scan(fdinfo);
                    Thread.Sleep(5);
                }
            }) { IsBackground = true }.Start();
            return held;
        }

        /// <summary>The objects seen that the kernel still has (bpftool's view).</summary>
        public List<(string Kind, int Id)> StillInKernel()
        {
            var present = new[] { "prog", "map", "link" }.ToDictionary(k => k, k => Ids(k).ToHashSet());
            return Seen.Where(o => present[o.Kind].Contains(o.Id)).ToList();
        }

        public override string ToString() => string.Join(", ", Seen.GroupBy(o => o.Kind).Select(g => $"{g.Count()} {g.Key}"));

        private void Scan(string fdinfo)
        {
            var links = 0;
            string[] files;
            try
            {
                files = Directory.GetFiles(fdinfo);
            }
            catch (IOException)
            {
                return; // the process exited
            }

            foreach (var file in files)
            {
                string[] lines;
                try
                {
                    lines = File.ReadAllLines(file);
                }
                catch (IOException)
                {
                    continue; // the descriptor was closed meanwhile
                }

                foreach (var line in lines)
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    var kind = colon < 0 ? null : line[..colon] switch { "prog_id" => "prog", "map_id" => "map", "link_id" => "link", _ => null };
                    if (kind is null)
                    {
                        continue;
                    }

                    links += kind == "link" ? 1 : 0;
                    lock (seen)
                    {
                        seen.Add((kind, int.Parse(line[(colon + 1)..], CultureInfo.InvariantCulture)));
                    }
                }
            }

            linksNow = links;
        }
    }

    private static List<int> Ids(string kind)
    {
        using var bpftool = Process.Start(new ProcessStartInfo("bpftool", ["-j", kind, "show"]) { RedirectStandardOutput = true })!;
        var json = bpftool.StandardOutput.ReadToEnd();
        bpftool.WaitForExit();
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json);
        // an object freed while bpftool walks the list comes back without an id
        return doc.RootElement.EnumerateArray()
            .Where(e => e.TryGetProperty("id", out _))
            .Select(e => e.GetProperty("id").GetInt32())
            .ToList();
    }
}
