using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tcp;
using Tracer.Analysis.Tests;
using Tracer.Output;
using Tracer.Telemetry;

namespace Tracer.Report.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReportDataTests : IDisposable
{
    private readonly string directory = Reports.TempDirectory();

    private static DateTime Wall(ulong ns) => Reports.Wall(ns);

    [Fact]
    public void EverySampleOfTheIncidentIsARowWithTheAnalyzersWl1Lag()
    {
        var samples = Fixtures.Read(Reports.Incident);
        var critical = Reports.Replay(Reports.Incident).OfType<Wl1LagFinding>().Single(f => f.Level == Severity.Critical);

        var trace = Assert.Single(Reports.Build(Reports.Incident).Traces);

        Assert.Equal(samples.Count, trace.Count);
        Assert.Equal(samples.Select(s => s.TimestampNs), trace.TimesNs);
        Assert.Equal(samples.Select(s => s.AdvertisedWindow), trace.Advertised);
        var row = trace.TimesNs.IndexOf(critical.TimestampNs);
        Assert.Equal(critical.Wl1LagBytes, trace.Wl1Lag[row]);
        Assert.True(trace.Wl1Lag[row - 1] < TcpWindowAnalyzer.Wl1LagCriticalBytes, $"lag {trace.Wl1Lag[row - 1]} before the critical finding");
    }

    [Fact]
    public void TheIncidentsConnectionHasTheStuckVerdictOneStuckEpisodeAndItsIgnoredUpdatesMarked()
    {
        var findings = Reports.Replay(Reports.Incident);

        var connection = Assert.Single(Reports.Data(Reports.Build(Reports.Incident)).GetProperty("connections").EnumerateArray());

        Assert.Equal("relative", Reports.Data(Reports.Build(Reports.Incident)).GetProperty("clock").GetString());
        Assert.Equal("tcp.stuck", connection.GetProperty("worst").GetProperty("kind").GetString());
        Assert.Equal(findings.Single(f => f.Kind == FindingKind.Stuck).Message, connection.GetProperty("worst").GetProperty("message").GetString());
        var episode = Assert.Single(connection.GetProperty("episodes").EnumerateArray());
        Assert.True(episode[2].GetBoolean());
        var start = Fixtures.Read(Reports.Incident)[0].TimestampNs;
        var ignored = connection.GetProperty("ignored").EnumerateArray().Select(t => t.GetDouble()).ToList();
        Assert.All(findings.Where(f => f.Kind == FindingKind.WindowUpdateIgnored || f.Kind == FindingKind.Stuck),
            f => Assert.Contains((f.TimestampNs - start) / 1e9, ignored));
        Assert.Equal(findings.Count, connection.GetProperty("events").GetArrayLength());
        var chart = connection.GetProperty("chart");
        Assert.All(new[] { "snd_wnd", "advertised", "in_flight", "unsent", "wl1_lag" }, name => Assert.Equal(chart.GetProperty("x").GetArrayLength(), chart.GetProperty(name).GetArrayLength()));
    }

    [Fact]
    public void ARecordingGivesWallClockTimesItsKernelHostVersionAndFilters()
    {
        var path = Path.Combine(directory, "incident.trec");
        var header = new RecordingHeader("5.4.0-rsync", Reports.Wall(0), 1_796_000_000_000_000_000) { Host = "db-7", TracerVersion = "0.4.0", Filters = "--port 873" };
        using (var writer = new RecordingWriter(File.Create(path), header))
        {
            foreach (var sample in Fixtures.Read(Reports.Incident))
            {
                writer.Write(sample);
            }
        }

        var report = Reports.Build(path);
        var data = Reports.Data(report);

        Assert.Equal("wall", data.GetProperty("clock").GetString());
        Assert.Equal(["5.4.0-rsync"], report.Kernels);
        Assert.Equal(["db-7"], report.Hosts);
        Assert.Equal(["0.4.0"], report.Versions);
        Assert.Equal([$"{path}: --port 873"], report.Filters);
        var first = Fixtures.Read(Reports.Incident)[0].TimestampNs;
        Assert.Equal(Math.Round(((long)first + header.MonotonicToWallOffsetNs) / 1e9, 3), data.GetProperty("header").GetProperty("start").GetDouble());
        Assert.Equal("tcp.stuck", data.GetProperty("connections")[0].GetProperty("worst").GetProperty("kind").GetString());
    }

    [Fact]
    public void TcpJsonOutputGivesTheVerdictEpisodesAndEventsWithoutWindowCharts()
    {
        var findings = Reports.Replay(Reports.Incident);
        var path = Reports.JsonLines(directory, "tcp.jsonl", findings, Wall);

        var data = Reports.Data(Reports.Build(path));

        Assert.Equal("wall", data.GetProperty("clock").GetString());
        var connection = Assert.Single(data.GetProperty("connections").EnumerateArray());
        Assert.Equal("tcp.stuck", connection.GetProperty("worst").GetProperty("kind").GetString());
        Assert.False(connection.TryGetProperty("chart", out _));
        Assert.Equal(findings.Count, connection.GetProperty("events").GetArrayLength());
        Assert.True(Assert.Single(connection.GetProperty("episodes").EnumerateArray())[2].GetBoolean());
    }

    [Fact]
    public void EverySegmentJsonGivesChartsOnTheWallClockWithoutCountingItsFindingsTwice()
    {
        var path = Path.Combine(directory, "every-segment.jsonl");
        using (var file = File.Create(path))
        using (var output = new JsonLinesOutput(file, Wall, samples: true))
        {
            var samples = Fixtures.Read(Reports.Incident);
            var findings = Reports.Replay(Reports.Incident);
            foreach (var sample in samples)
            {
                output.Sample(sample);
                foreach (var finding in findings.Where(f => f.TimestampNs == sample.TimestampNs))
                {
                    output.Emit(finding);
                }
            }
        }

        var data = Reports.Data(Reports.Build(path));

        Assert.Equal("wall", data.GetProperty("clock").GetString());
        var connection = Assert.Single(data.GetProperty("connections").EnumerateArray());
        Assert.Equal(Reports.Replay(Reports.Incident).Count, connection.GetProperty("findings").GetInt32());
        Assert.True(connection.TryGetProperty("chart", out _));
        var first = Fixtures.Read(Reports.Incident)[0].TimestampNs;
        Assert.Equal(Math.Round((Wall(first) - DateTime.UnixEpoch).Ticks / 1e7, 3), data.GetProperty("header").GetProperty("start").GetDouble(), 3);
    }

    [Fact]
    public void SlabJsonOutputGivesGrowthPerCacheSUnreclaimLeakSuspectsAndOomKills()
    {
        var findings = Reports.SlabIncident();
        var path = Reports.JsonLines(directory, "slab.jsonl", findings, Wall);

        var slab = Reports.Data(Reports.Build(path)).GetProperty("slab");

        var caches = slab.GetProperty("caches").EnumerateArray().ToList();
        Assert.Equal(["sock_inode_cache", "kmalloc-8"], caches.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal([4000.0, 8000, 12000, 16000, 20000], caches[0].GetProperty("growth").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal((1_000_000 + 5 * 2500) * 1024.0, slab.GetProperty("sunreclaim").GetProperty("bytes").EnumerateArray().Last().GetDouble());
        var suspect = Assert.Single(slab.GetProperty("suspects").EnumerateArray());
        Assert.Equal("sock_inode_cache", suspect.GetProperty("cache").GetString());
        var stack = Assert.Single(suspect.GetProperty("stacks").EnumerateArray());
        Assert.Equal(["hrrb", "apache2"], stack.GetProperty("comms").EnumerateArray().Select(c => c.GetProperty("comm").GetString()));
        Assert.Contains("OOM killer chose 23713/nginx", Assert.Single(slab.GetProperty("ooms").EnumerateArray()).GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void RunsDataDirectoryGivesItsFindingsHostAndVersion()
    {
        var settings = TelemetrySettings.Resolve(null, null, directory, _ => null);
        using (var pipeline = TelemetryPipeline.Start(settings, NullLogger.Instance))
        {
            var sink = new TelemetrySink(pipeline.FindingLogger, Wall);
            foreach (var finding in Reports.Replay(Reports.Incident))
            {
                sink.Emit(finding);
            }
        }

        var report = Reports.Build(directory);
        var data = Reports.Data(report);

        Assert.Equal(Reports.Replay(Reports.Incident).Select(f => f.Kind.Name).Order(), report.Findings.All.Select(f => f.Kind).Order());
        Assert.Contains(Environment.MachineName, report.Hosts);
        Assert.Contains(typeof(TelemetrySink).Assembly.GetName().Version!.ToString(3), report.Versions);
        var connection = Assert.Single(data.GetProperty("connections").EnumerateArray());
        Assert.Equal("tcp.stuck", connection.GetProperty("worst").GetProperty("kind").GetString());
        Assert.StartsWith("rsync 4711 192.168.10.20:51034 → 192.168.10.5:873", connection.GetProperty("label").GetString(), StringComparison.Ordinal);
        Assert.True(Assert.Single(connection.GetProperty("episodes").EnumerateArray())[2].GetBoolean());
    }

    [Fact]
    public void AFileWithNeitherSamplesNorFindingsIsRefusedByName()
    {
        var path = Path.Combine(directory, "empty.jsonl");
        File.WriteAllText(path, "# nothing here\n");

        var error = Assert.Throws<ReportInputException>(() => Reports.Build(path));

        Assert.Equal($"{path}: no samples and no findings", error.Message);
    }

    [Fact]
    public void ABrokenFindingLineNamesItsLine()
    {
        var path = Path.Combine(directory, "broken.jsonl");
        File.WriteAllText(path, "{\"kind\": \"slab.growth\", \"ts_ns\": 1, \"cache\": \"x\"}\n{\"kind\": \"slab.oom\",\n");

        var error = Assert.Throws<ReportInputException>(() => Reports.Build(path));

        Assert.StartsWith($"{path}: line 2: not JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADirectoryWithoutRunsFilesIsRefusedByName()
    {
        var error = Assert.Throws<ReportInputException>(() => Reports.Build(directory));

        Assert.Equal($"{directory}: no tracer run telemetry files (logs.jsonl, metrics.jsonl, traces.jsonl)", error.Message);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
