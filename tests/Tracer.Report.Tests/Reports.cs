using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tests;
using Tracer.Output;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;

namespace Tracer.Report.Tests;

/// <summary>Reports built the way <c>tracer report</c> builds them, and the inputs other commands write.</summary>
internal static class Reports
{
    public static string Incident => Fixtures.PathOf("incident-rsync.jsonl");

    private static readonly DateTime Boot = new(2026, 12, 6, 0, 0, 0, DateTimeKind.Utc);

    private static readonly StackShare Stack = new("__sys_socket → sock_alloc_inode", ["__sys_socket", "sock_alloc_inode"], 180_000, 180_000 * 624, [("hrrb", 120_000L), ("apache2", 60_000L)]);

    /// <summary>A wall clock for findings written as a live run writes them: boot at midnight UTC.</summary>
    public static DateTime Wall(ulong ns) => Boot.AddTicks((long)(ns / 100));

    /// <summary>Incident 2 in small: two caches growing for 5 s, sock_inode_cache suspected of leaking, then an OOM kill.</summary>
    public static List<Finding> SlabIncident()
    {
        const ulong second = 1_000_000_000;
        var findings = new List<Finding>();
        for (ulong t = 1; t <= 5; t++)
        {
            findings.Add(new SlabGrowthFinding(t * second, "sock_inode_cache", second, 4000, 4000 * 624, NetSource.Kernel, 4100, 100, null, 1_000_000 + (long)t * 2500, 2500, [Stack]));
            findings.Add(new SlabGrowthFinding(t * second, "kmalloc-8", second, 100, 800, NetSource.Slabinfo, 120, null, 100, 1_000_000 + (long)t * 2500, 2500, []));
        }

        findings.Add(new SlabLeakSuspectFinding(5 * second, "sock_inode_cache", 5 * second, 20_000, 20_000 * 624, 3 * second, 12_500, [Stack]));
        findings.Add(new SlabOomFinding(6 * second, 23713, "nginx", 33, 1UL << 30, 23254, "apache2", 1_020_000, [new CacheSize("sock_inode_cache", 20_000, 20_000 * 624)], ["sock_inode_cache"]));
        return findings;
    }

    public static ReportBuilder Build(params string[] inputs)
    {
        var report = new ReportBuilder();
        foreach (var input in inputs)
        {
            ReportInputs.Read(input, report, NullLogger.Instance);
        }

        return report;
    }

    /// <summary>The page's data, as the page's script parses it.</summary>
    public static JsonElement Data(ReportBuilder report)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            report.WriteData(writer, "tracer test");
        }

        return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
    }

    /// <summary>The findings the engine makes of a sample file, as <c>tracer replay</c> would print them.</summary>
    public static List<Finding> Replay(string path)
    {
        var findings = new FindingCollector();
        using var source = FileTcpSource.Open(path);
        using var stop = new StopSignal(null);
        new Engine(new EngineOptions(), findings, NullLogger.Instance).Run(source, slab: null, stop);
        return findings.Findings;
    }

    /// <summary>Findings as <c>--json</c> writes them, one per line, with a wall clock as a live run has.</summary>
    public static string JsonLines(string directory, string name, IEnumerable<Finding> findings, Func<ulong, DateTime> wallClock)
    {
        var path = Path.Combine(directory, name);
        using var file = File.Create(path);
        using var output = new JsonLinesOutput(file, wallClock);
        foreach (var finding in findings)
        {
            output.Emit(finding);
        }

        return path;
    }

    public static string TempDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"tracer-report-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }
}
