using System.Text.Json;

namespace Tracer.Integration.Tests;

/// <summary>
/// A burst far beyond what the consumer drains: the kernel paths go on, every lost sample is
/// counted per CPU and reported; the always-on mode steps its detail down and says so.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OverloadTests
{
    [KernelFact]
    public void AStalledConsumerLosesSamplesCountedPerCpuNeverBlocksTheKernel()
    {
        using var loopback = new Loopback();
        using var tracer = new RunTracerProcess(null, "tcp", "--json", "--every-segment", "--port", loopback.Port.ToString(), "--duration", "8");
        var (client, server) = loopback.Connect();

        // the consumer cannot read at all while stopped: one sample per segment fills the 4 MiB ring
        Assert.Equal(0, Signals.Send(tracer.Pid, Signals.SigStop));
        var transfer = Task.Run(() => Loopback.Transfer(client, server, 4L << 30));
        var finished = transfer.Wait(TimeSpan.FromSeconds(60));
        Assert.Equal(0, Signals.Send(tracer.Pid, Signals.SigCont));
        Assert.True(finished, "the transfer stalled while the tracer was stopped: the kernel path blocked");

        var (exitCode, stdout, stderr) = tracer.Finish(TimeSpan.FromSeconds(30));
        Assert.Equal(0, exitCode);
        var drops = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("kind").GetString() == "tracer.drops")
            .ToList();
        Assert.NotEmpty(drops);
        var last = drops[^1];
        var perCpu = last.GetProperty("dropped_total_per_cpu").EnumerateArray().Select(e => e.GetUInt64()).ToList();
        Assert.Equal(Environment.ProcessorCount, perCpu.Count);
        Assert.Equal(last.GetProperty("dropped_total").GetUInt64(), perCpu.Aggregate(0UL, (a, b) => a + b));
        Assert.True(perCpu.Sum(n => (double)n) > 1000, $"{string.Join(", ", perCpu)} dropped");
        Assert.Contains("findings for this period may be incomplete", last.GetProperty("message").GetString());
        Assert.Matches(@"\d+ dropped \(cpu0 \d+, cpu1 \d+", stderr);
    }

    [KernelFact]
    public void RunStepsDownUnderLoadWithAFindingAndAMetric()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), $"tracer-overload-{Environment.ProcessId}");
        try
        {
            using var loopback = new Loopback();
            using var tracer = new RunTracerProcess(null, "run", "--no-slab", "--data-dir", dataDir, "--port", loopback.Port.ToString(),
                "--every-segment", "--sample-budget", "100", "--duration", "6");
            var (client, server) = loopback.Connect();
            Loopback.Transfer(client, server, 1L << 30);
            var (exitCode, _, stderr) = tracer.Finish(TimeSpan.FromSeconds(40));
            Assert.Equal(0, exitCode);

            var logs = File.ReadAllText(Path.Combine(dataDir, "logs.jsonl"));
            Assert.Contains("tracer.overhead_step_down", logs);
            Assert.Contains("budget 100/s", logs);
            var levels = OtlpJsonRead.MetricPoints(Path.Combine(dataDir, "metrics.jsonl"), "tracer.overhead.detail_level").ToList();
            Assert.Contains(levels, p => p.GetProperty("asInt").GetString() == "1");
            var dropped = OtlpJsonRead.MetricPoints(Path.Combine(dataDir, "metrics.jsonl"), "tracer.event.dropped").ToList();
            Assert.Contains(dropped, p => OtlpJsonRead.Attribute(p, "cpu.logical_number") == "1");
            Assert.Contains("suppressed", stderr);
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }
}
