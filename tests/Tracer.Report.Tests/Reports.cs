using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tests;
using Tracer.Output;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;

namespace Tracer.Report.Tests;

/// <summary>Reports built the way <c>tracer report</c> builds them, and the inputs other commands write.</summary>
internal static class Reports
{
    public static string Incident => Fixtures.PathOf("incident-rsync.jsonl");

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
