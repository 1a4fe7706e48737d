using System.Text;
using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Slab;
using Tracer.Analysis.Tests;
using Tracer.Analysis.Tests.Slab;
using TestAnalysis = Tracer.Analysis.Tests.Analysis;

namespace Tracer.Output.Tests;

public sealed class FindingJsonTests
{
    private static readonly string[] Common = ["kind", "severity", "ts_ns", "time", "cookie", "pid", "comm", "family", "saddr", "sport", "daddr", "dport", "message"];

    /// <summary>A wall clock whose boot was at 2026-12-06T03:00:00Z.</summary>
    internal static DateTime Wall(ulong monotonicNs) => new DateTime(2026, 12, 6, 3, 0, 0, DateTimeKind.Utc).AddTicks((long)(monotonicNs / 100));

    private static List<JsonElement> WriteIncidentFindings()
    {
        using var file = new MemoryStream();
        using (var writer = new JsonLinesWriter(file, leaveOpen: true))
        {
            foreach (var finding in TestAnalysis.Run(Fixtures.Read(Fixtures.PathOf("incident-rsync.jsonl"))))
            {
                writer.Write(json => FindingJson.Write(json, finding, Wall));
            }
        }

        return Encoding.UTF8.GetString(file.ToArray())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToList();
    }

    [Fact]
    public void EveryFindingHasTheCommonFields()
    {
        var findings = WriteIncidentFindings();

        Assert.Equal(7, findings.Count);
        Assert.All(findings, f => Assert.All(Common, field => Assert.True(f.TryGetProperty(field, out _), field)));
        Assert.All(findings, f =>
        {
            Assert.Equal(24577UL, f.GetProperty("cookie").GetUInt64());
            Assert.Equal(4711, f.GetProperty("pid").GetInt32());
            Assert.Equal("rsync", f.GetProperty("comm").GetString());
            Assert.Equal("inet", f.GetProperty("family").GetString());
            Assert.Equal("192.168.10.20", f.GetProperty("saddr").GetString());
            Assert.Equal(51034, f.GetProperty("sport").GetInt32());
            Assert.Equal("192.168.10.5", f.GetProperty("daddr").GetString());
            Assert.Equal(873, f.GetProperty("dport").GetInt32());
            Assert.Equal(Timestamps.Rfc3339(Wall(f.GetProperty("ts_ns").GetUInt64())), f.GetProperty("time").GetString());
            Assert.Matches(@"^2026-12-06T\d\d:\d\d:\d\d\.\d{3}Z$", f.GetProperty("time").GetString());
        });
    }

    [Fact]
    public void TimeIsRfc3339UtcAndAbsentWithoutAWallClock()
    {
        var drops = new DropsFinding(3_723_456_789_000, 5, new LoadState(100, 0, [5UL], DetailLevel.Full));

        Assert.Equal("2026-12-06T04:02:03.456Z", Parse(drops).GetProperty("time").GetString());
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            FindingJson.Write(writer, drops, wallClock: null);
        }

        Assert.False(JsonDocument.Parse(buffer.ToArray()).RootElement.TryGetProperty("time", out _));
    }

    [Fact]
    public void TextLinesSayUtcLiveAndTheOffsetFromTheStartInAReplay()
    {
        var drops = new DropsFinding(3_723_456_789_000, 5, new LoadState(100, 0, [5UL], DetailLevel.Full));

        Assert.StartsWith("04:02:03.456Z tracer.drops: ", TextOutput.Format(drops, TextOutput.Utc(Wall)), StringComparison.Ordinal);
        Assert.StartsWith("+01:02:03.456 tracer.drops: ", TextOutput.Format(drops, ts => Timestamps.SinceStart(ts, 0)), StringComparison.Ordinal);
        Assert.Equal("+00:00:00.000", Timestamps.SinceStart(1, 2));
    }

    [Fact]
    public void NumbersAreInSnakeCase()
    {
        var byKind = WriteIncidentFindings().ToLookup(f => f.GetProperty("kind").GetString());

        var lag = byKind[FindingKind.Wl1Lag.Name].Last();
        Assert.Equal("critical", lag.GetProperty("severity").GetString());
        Assert.Equal(2_640_000_000UL, lag.GetProperty("wl1_lag_bytes").GetUInt64());
        Assert.Equal(1UL << 31, lag.GetProperty("threshold_bytes").GetUInt64());

        var ignored = byKind[FindingKind.WindowUpdateIgnored.Name].First();
        Assert.Equal(1253278418U, ignored.GetProperty("seg_seq").GetUInt32());
        Assert.Equal(1708927328U, ignored.GetProperty("snd_wl1").GetUInt32());
        Assert.Equal(1770368UL, ignored.GetProperty("nwin").GetUInt64());
        Assert.Equal(-455648910, ignored.GetProperty("wrap_distance").GetInt32());
        Assert.Equal("wl1_wrapped", ignored.GetProperty("cause").GetString());

        var stuck = byKind[FindingKind.Stuck.Name].Single();
        Assert.Equal(16_280_000UL, stuck.GetProperty("duration_ms").GetUInt64());
        Assert.Equal(3839318386UL, stuck.GetProperty("wl1_lag_bytes").GetUInt64());
        Assert.StartsWith("send window 0 for 4h31m; peer advertises 1.77 MB (13831<<7)", stuck.GetProperty("message").GetString(), StringComparison.Ordinal);

        var open = byKind[FindingKind.ZeroWindowOpen.Name].Single();
        Assert.True(open.GetProperty("stuck").GetBoolean());
        Assert.Equal("end_of_trace", open.GetProperty("tracking_end").GetString());
        Assert.Equal([0UL, 1770368UL], open.GetProperty("advertised_windows").EnumerateArray().Select(w => w.GetUInt64()));
    }

    [Fact]
    public void EndCarriesItsDuration()
    {
        var end = Parse(new ZeroWindowEndFinding(5, 6, 7, "x", Samples.Endpoints, new EpisodeSummary(1, 2_500_000_000, false, 2, 3, [0UL, 4096UL], 4096, 0), 4096));
        Assert.Equal("tcp.zero_window.end", end.GetProperty("kind").GetString());
        Assert.Equal(2500UL, end.GetProperty("duration_ms").GetUInt64());
        Assert.Equal(4096UL, end.GetProperty("new_window").GetUInt64());
        Assert.Equal(2, end.GetProperty("probes_out_max").GetInt32());
        Assert.Equal(3, end.GetProperty("backoff_max").GetInt32());
    }

    [Fact]
    public void MessagesKeepTheirCharactersAndFindingLinesReplayAsNothing()
    {
        using var file = new MemoryStream();
        using (var writer = new JsonLinesWriter(file, leaveOpen: true))
        {
            writer.Write(Samples.Connection());
            var stuck = TestAnalysis.Run(Fixtures.Read(Fixtures.PathOf("incident-rsync.jsonl"))).OfType<StuckFinding>().Single();
            writer.Write(json => FindingJson.Write(json, stuck, Wall));
        }

        Assert.Contains("(≥ 2 GiB, wrapped)", Encoding.UTF8.GetString(file.ToArray()), StringComparison.Ordinal);
        file.Position = 0;
        using var source = SampleSource.Open(file);
        Assert.Equal([Samples.Connection()], source.ReadAll());
    }

    [Fact]
    public void SlabGrowthCarriesItsStacksAsObjects()
    {
        var sink = new CollectingSink();
        var analyzer = new SlabGrowthAnalyzer(sink);
        var data = new SlabIntervals();
        analyzer.Observe(data.Next(0, 0));
        analyzer.Observe(data.Next(allocated: 3_000, freed: 1_000));
        var growth = Assert.Single(sink.Of<SlabGrowthFinding>());

        var json = Parse(growth);
        Assert.Equal("slab.growth", json.GetProperty("kind").GetString());
        Assert.Equal(2_000, json.GetProperty("net_objects").GetInt64());
        Assert.Equal("kernel", json.GetProperty("net_source").GetString());
        Assert.Equal("hrrb", json.GetProperty("top_stacks")[0].GetProperty("comms")[0].GetProperty("comm").GetString());
        Assert.False(json.TryGetProperty("cookie", out _), "a cache finding has no connection");
    }

    [Fact]
    public void TracerFindingsHaveNoConnectionFields()
    {
        var json = Parse(new DropsFinding(9, 5, new LoadState(100, 0, [3UL, 2UL], DetailLevel.Full)));

        Assert.Equal("tracer.drops", json.GetProperty("kind").GetString());
        Assert.Equal("warning", json.GetProperty("severity").GetString());
        Assert.Equal(5UL, json.GetProperty("dropped").GetUInt64());
        Assert.Equal([3UL, 2UL], json.GetProperty("dropped_total_per_cpu").EnumerateArray().Select(e => e.GetUInt64()));
        Assert.False(json.TryGetProperty("pid", out _));
    }

    private static JsonElement Parse(Finding finding)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            FindingJson.Write(writer, finding, Wall);
        }

        return JsonDocument.Parse(buffer.ToArray()).RootElement;
    }
}
