using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace Tracer.Integration.Tests;

/// <summary>
/// Always-on slab tracking pays for per-object hooks only while a cache grows: <c>tracer run</c>
/// starts with the OOM hook alone, sees a steady leak in /proc/slabinfo, attaches the counting and
/// sampling programs (saying so in a finding and a gauge), and then names who holds the objects.
/// </summary>
public sealed class SlabAttributionTests(ITestOutputHelper output)
{
    private const string Comm = "slabgrow";

    [KernelFact]
    public void RunWatchesSlabinfoUntilACacheGrowsThenAttributesTheLeak()
    {
        var dataDir = Directory.CreateTempSubdirectory("tracer-attribution-");
        try
        {
            using var tracer = new RunTracerProcess(null, "run", "--data-dir", dataDir.FullName, "--duration", "50");
            Thread.Sleep(TimeSpan.FromSeconds(4));
            var before = ProgramNames(tracer.Pid);
            using var leak = SlabWorkload.Grow(Comm, Math.Min(19_000, SlabWorkload.MaxHeld));
            var (exitCode, _, stderr) = tracer.Finish(TimeSpan.FromSeconds(90));
            output.WriteLine($"programs before the leak: {string.Join(", ", before)}\n{stderr}");

            Assert.Equal(0, exitCode);
            Assert.Contains("oom_victim_btf", before);
            Assert.DoesNotContain(before, p => p.StartsWith("cache_", StringComparison.Ordinal) || p.StartsWith("kmalloc", StringComparison.Ordinal));

            var logs = LogRecords(Path.Combine(dataDir.FullName, "logs.jsonl")).ToList();
            foreach (var (kind, body) in logs.Where(l => l.Kind.StartsWith("slab.", StringComparison.Ordinal) || l.Kind.StartsWith("tracer.slab", StringComparison.Ordinal)))
            {
                output.WriteLine($"{kind}: {body}");
            }

            var on = logs.FindIndex(l => l.Kind == "tracer.slab_attribution_on");
            Assert.True(on >= 0, "attribution was never switched on");
            // the socket's other objects (filp, dentry…) may cross the threshold a tick before its inode
            Assert.StartsWith("sustained growth in ", logs[on].Body, StringComparison.Ordinal);
            var suspect = logs.FindIndex(l => l.Kind == "slab.leak_suspect" && l.Body.StartsWith("sock_inode_cache ", StringComparison.Ordinal));
            Assert.True(suspect > on, "no leak suspect for sock_inode_cache after attribution came on");
            Assert.Contains($"({Comm} ×", logs[suspect].Body, StringComparison.Ordinal);

            var gauge = GaugeValues(Path.Combine(dataDir.FullName, "metrics.jsonl"), "tracer.overhead.slab_attribution");
            Assert.Equal(0, gauge[0]);
            Assert.Equal(1, gauge[^1]);
        }
        finally
        {
            dataDir.Delete(recursive: true);
        }
    }

    /// <summary>Names of the BPF programs a process holds, by the ids in its fdinfo.</summary>
    private static List<string> ProgramNames(int pid)
    {
        var names = new List<string>();
        foreach (var file in Directory.GetFiles($"/proc/{pid}/fdinfo"))
        {
            var id = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("prog_id:", StringComparison.Ordinal));
            if (id is null)
            {
                continue;
            }

            using var bpftool = Process.Start(new ProcessStartInfo("bpftool", ["-j", "prog", "show", "id", id["prog_id:".Length..].Trim()]) { RedirectStandardOutput = true })!;
            var json = bpftool.StandardOutput.ReadToEnd();
            bpftool.WaitForExit();
            names.Add(JsonDocument.Parse(json).RootElement.GetProperty("name").GetString()!);
        }

        return names;
    }

    private static IEnumerable<(string Kind, string Body)> LogRecords(string path) =>
        OtlpJsonRead.LogRecords(path)
            .Select(r => (OtlpJsonRead.Attribute(r, "tracer.finding.kind") ?? "", r.GetProperty("body").GetProperty("stringValue").GetString() ?? ""));

    private static List<long> GaugeValues(string path, string metric) =>
        OtlpJsonRead.MetricPoints(path, metric).Select(p => long.Parse(p.GetProperty("asInt").GetString()!, CultureInfo.InvariantCulture)).ToList();
}
