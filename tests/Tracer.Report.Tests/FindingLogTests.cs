using System.Text.Json;

namespace Tracer.Report.Tests;

public sealed class FindingLogTests
{
    private static ReportFinding Finding(string kind, ulong ns, ulong? cookie = 7, string severity = "info")
    {
        var json = cookie is { } c
            ? $$"""{"kind": "{{kind}}", "severity": "{{severity}}", "cookie": {{c}}, "message": "at {{ns}}"}"""
            : $$"""{"kind": "{{kind}}", "severity": "{{severity}}", "message": "at {{ns}}"}""";
        return new ReportFinding(JsonDocument.Parse(json).RootElement.Clone(), new ReportTime(ns, 0));
    }

    [Fact]
    public void ARepeatedKindKeepsItsFirstAndLastTenAndCountsTheRest()
    {
        var log = new FindingLog();
        for (ulong i = 1; i <= 1000; i++)
        {
            log.Add(Finding("tcp.window_update_ignored", i));
        }

        log.Add(Finding("tcp.stuck", 5, severity: "critical"));

        Assert.Equal(1001, log.Count);
        Assert.Equal(21, log.All.Count());
        Assert.Equal([.. Enumerable.Range(1, 10), .. Enumerable.Range(991, 10)],
            log.All.Where(f => f.Kind == "tcp.window_update_ignored").Select(f => (int)f.Time.Ns).Order());
        var gap = Assert.Single(log.Gaps);
        Assert.Equal(980, gap.Omitted);
        Assert.Equal(11UL, gap.First.Time.Ns);
        Assert.Equal(990UL, gap.Last.Time.Ns);
    }

    [Fact]
    public void EpisodesVerdictsDropsAndSlabEventsAreAllKept()
    {
        var log = new FindingLog();
        foreach (var kind in new[] { "tcp.zero_window.start", "tcp.zero_window.end", "tcp.zero_window.open", "tcp.stuck", "tracer.drops", "slab.leak_suspect", "slab.oom" })
        {
            for (ulong i = 0; i < 100; i++)
            {
                log.Add(Finding(kind, i, kind.StartsWith("tcp.", StringComparison.Ordinal) ? 7 : null));
            }
        }

        Assert.Equal(700, log.All.Count());
        Assert.Empty(log.Gaps);
    }

    [Fact]
    public void ConnectionsAndSeveritiesAreCountedApart()
    {
        var log = new FindingLog();
        for (ulong i = 0; i < 30; i++)
        {
            log.Add(Finding("tcp.wl1_lag", i, cookie: 1, severity: "warning"));
            log.Add(Finding("tcp.wl1_lag", i, cookie: 1, severity: "critical"));
            log.Add(Finding("tcp.wl1_lag", i, cookie: 2, severity: "warning"));
        }

        Assert.Equal(3, log.Gaps.Count());
        Assert.All(log.Gaps, g => Assert.Equal(10, g.Omitted));
        Assert.Equal(20, log.All.Count(f => f.Severity == "critical"));
    }

    [Fact]
    public void TheConnectionListsWhatWasKeptAndOneLineForTheRest()
    {
        var report = new ReportBuilder();
        for (ulong i = 1; i <= 100; i++)
        {
            report.Findings.Add(Finding("tcp.window_update_ignored", i * 1_000_000_000));
        }

        var connection = Assert.Single(Reports.Data(report).GetProperty("connections").EnumerateArray());

        Assert.Equal(100, connection.GetProperty("findings").GetInt32());
        var events = connection.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(21, events.Count);
        Assert.StartsWith("80 more tcp.window_update_ignored findings until ", events[10].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("not listed; the last: at 90000000000", events[10].GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
