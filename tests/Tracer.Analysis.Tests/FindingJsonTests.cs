using System.Text;
using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;

namespace Tracer.Analysis.Tests;

public sealed class FindingJsonTests
{
    private static readonly string[] Common = ["kind", "severity", "ts_ns", "cookie", "pid", "comm", "family", "saddr", "sport", "daddr", "dport", "message"];

    private static List<JsonElement> WriteIncidentFindings()
    {
        using var file = new MemoryStream();
        using (var writer = new JsonLinesWriter(file, leaveOpen: true))
        {
            foreach (var finding in Analysis.Run(Fixtures.Read(Fixtures.PathOf("incident-rsync.jsonl"))))
            {
                writer.Write(finding);
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
        });
    }

    [Fact]
    public void NumbersAreInSnakeCase()
    {
        var byKind = WriteIncidentFindings().ToLookup(f => f.GetProperty("kind").GetString());

        var lag = byKind[Wl1LagFinding.KindName].Last();
        Assert.Equal("critical", lag.GetProperty("severity").GetString());
        Assert.Equal(2_640_000_000UL, lag.GetProperty("wl1_lag_bytes").GetUInt64());
        Assert.Equal(1UL << 31, lag.GetProperty("threshold_bytes").GetUInt64());

        var ignored = byKind[WindowUpdateIgnoredFinding.KindName].First();
        Assert.Equal(1253278418U, ignored.GetProperty("seg_seq").GetUInt32());
        Assert.Equal(1708927328U, ignored.GetProperty("snd_wl1").GetUInt32());
        Assert.Equal(1770368UL, ignored.GetProperty("nwin").GetUInt64());
        Assert.Equal(-455648910, ignored.GetProperty("wrap_distance").GetInt32());
        Assert.Equal("wl1_wrapped", ignored.GetProperty("cause").GetString());

        var stuck = byKind[StuckFinding.KindName].Single();
        Assert.Equal(16_280_000UL, stuck.GetProperty("duration_ms").GetUInt64());
        Assert.Equal(3839318386UL, stuck.GetProperty("wl1_lag_bytes").GetUInt64());
        Assert.StartsWith("send window 0 for 4h31m; peer advertises 1.77 MB (13831<<7)", stuck.GetProperty("message").GetString(), StringComparison.Ordinal);

        var open = byKind[ZeroWindowOpenFinding.KindName].Single();
        Assert.True(open.GetProperty("stuck").GetBoolean());
        Assert.Equal("end_of_trace", open.GetProperty("tracking_end").GetString());
        Assert.Equal([0UL, 1770368UL], open.GetProperty("advertised_windows").EnumerateArray().Select(w => w.GetUInt64()));
    }

    [Fact]
    public void EndCarriesItsDuration()
    {
        using var file = new MemoryStream();
        using (var writer = new JsonLinesWriter(file, leaveOpen: true))
        {
            writer.Write(new ZeroWindowEndFinding(
                5, 6, 7, "x", Samples.Endpoints, new EpisodeSummary(1, 2_500_000_000, false, 2, 3, [0UL, 4096UL], 4096, 0), 4096));
        }

        var end = JsonDocument.Parse(file.ToArray()).RootElement;
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
            writer.Write(Analysis.Run(Fixtures.Read(Fixtures.PathOf("incident-rsync.jsonl"))).OfType<StuckFinding>().Single());
        }

        Assert.Contains("(≥ 2 GiB, wrapped)", Encoding.UTF8.GetString(file.ToArray()), StringComparison.Ordinal);
        file.Position = 0;
        using var source = SampleSource.Open(file);
        Assert.Equal([Samples.Connection()], source.ReadAll());
    }
}
