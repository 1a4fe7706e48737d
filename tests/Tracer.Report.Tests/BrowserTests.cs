using System.Text.Json;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tests;

namespace Tracer.Report.Tests;

/// <summary>
/// The report of the golden incident in Debian's chromium, headless: it draws its charts with no
/// error and no request, and the wl1 lag crosses 2 GiB where the analysis says. A screenshot is
/// left in the test output (screenshots/) for a person to look at.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BrowserTests
{
    private static readonly string Output = Path.Combine(AppContext.BaseDirectory, "report-output");

    private static string Write(string name, params string[] inputs)
    {
        Directory.CreateDirectory(Output);
        var path = Path.Combine(Output, name);
        ReportFile.Write(path, Reports.Build(inputs));
        return path;
    }

    [Fact]
    public async Task TheIncidentReportLoadsWithoutErrorsAndDrawsBothChartsOfItsConnection()
    {
        var path = Write("incident-rsync.html", Reports.Incident);
        var stuck = Reports.Replay(Reports.Incident).Single(f => f.Kind == FindingKind.Stuck);
        await using var browser = await HeadlessChromium.Start();

        await browser.Open(path);
        var screenshot = Path.Combine(AppContext.BaseDirectory, "screenshots", "incident-rsync.png");
        await browser.Screenshot(screenshot);

        Assert.Empty(browser.Errors);
        Assert.Equal(2, (await browser.Evaluate("document.querySelectorAll('.uplot canvas').length")).GetInt32());
        var charts = await browser.Evaluate("JSON.stringify(tracerReport.charts.map(c => [c.kind, c.u.series.map(s => s.label)]))");
        Assert.Equal(
            """[["window",["time","snd_wnd","advertised (scaled)","in flight","unsent"]],["lag",["time","wl1 lag"]]]""",
            charts.GetString());
        Assert.Equal(stuck.Message, (await browser.Evaluate("document.querySelector('section.connection .verdict').textContent")).GetString());
        Assert.Equal(1, (await browser.Evaluate("document.querySelectorAll('table.connections tbody tr').length")).GetInt32());
        Assert.True(new FileInfo(screenshot).Length > 20_000, $"{screenshot} is {new FileInfo(screenshot).Length} bytes");
    }

    [Fact]
    public async Task TheWl1LagSeriesCrossesTheTwoGiBLineWhereTheCriticalFindingSays()
    {
        var path = Write("incident-rsync-lag.html", Reports.Incident);
        var start = Fixtures.Read(Reports.Incident)[0].TimestampNs;
        var critical = Reports.Replay(Reports.Incident).OfType<Wl1LagFinding>().Single(f => f.Level == Severity.Critical);
        await using var browser = await HeadlessChromium.Start();

        await browser.Open(path);
        var crossing = await browser.Evaluate("""
            (() => {
              const c = tracerReport.charts.find(c => c.kind === 'lag');
              const [x, lag] = c.u.data;
              const i = lag.findIndex(v => v >= 2 ** 31);
              return { at: x[i], before: lag[i - 1], after: lag[i], levels: c.levels, top: c.u.scales.y.max };
            })()
            """);

        Assert.Empty(browser.Errors);
        Assert.Equal(Math.Round((critical.TimestampNs - start) / 1e9, 3), crossing.GetProperty("at").GetDouble());
        Assert.True(crossing.GetProperty("before").GetDouble() < 2147483648.0);
        Assert.Equal(critical.Wl1LagBytes, crossing.GetProperty("after").GetDouble());
        Assert.Equal([1073741824.0, 2147483648.0], crossing.GetProperty("levels").EnumerateArray().Select(v => v.GetDouble()));
        Assert.True(crossing.GetProperty("top").GetDouble() > 2147483648.0, "the 2 GiB line is inside the chart");
    }

    [Fact]
    public async Task WithTheNetworkOffTheReportStillDrawsAndRequestsNothingButItself()
    {
        var path = Write("incident-rsync-offline.html", Reports.Incident);
        await using var browser = await HeadlessChromium.Start();

        await browser.Offline();
        await browser.Open(path);

        Assert.Empty(browser.Errors);
        Assert.Equal(2, (await browser.Evaluate("document.querySelectorAll('.uplot').length")).GetInt32());
        // the page's own load is seen, so the watch works; nothing else is asked for
        Assert.Contains(new Uri(path).AbsoluteUri, browser.Requests);
        Assert.All(browser.Requests, url => Assert.Equal(new Uri(path).AbsoluteUri, url));
    }

    [Fact]
    public async Task TheConnectionsTableSortsByTheColumnClicked()
    {
        var path = Write("two-connections.html", Reports.Incident, Fixtures.PathOf("bulk-synthetic.jsonl"));
        await using var browser = await HeadlessChromium.Start();
        await browser.Open(path);
        const string samplesColumn = "[...document.querySelectorAll('table.connections tbody tr')].map(r => Number(r.children[1].textContent))";

        await browser.Evaluate("document.querySelector('th[data-column=\"1\"]').click()");
        var descending = (await browser.Evaluate(samplesColumn)).EnumerateArray().Select(v => v.GetInt32()).ToList();
        await browser.Evaluate("document.querySelector('th[data-column=\"1\"]').click()");
        var ascending = (await browser.Evaluate(samplesColumn)).EnumerateArray().Select(v => v.GetInt32()).ToList();

        Assert.Empty(browser.Errors);
        Assert.Equal(2, descending.Count);
        Assert.Equal(descending.OrderDescending(), descending);
        Assert.Equal(ascending.Order(), ascending);
        Assert.NotEqual(descending, ascending);
    }

    [Fact]
    public async Task SlabGrowthAndSUnreclaimAreDrawnWithTheOomKillAndTheSuspectsStacks()
    {
        var path = Write("slab.html", Reports.JsonLines(Reports.TempDirectory(), "slab.jsonl", Reports.SlabIncident(), Reports.Wall));
        await using var browser = await HeadlessChromium.Start();

        await browser.Open(path);
        await browser.Screenshot(Path.Combine(AppContext.BaseDirectory, "screenshots", "slab.png"));
        var charts = await browser.Evaluate("JSON.stringify(tracerReport.charts.map(c => [c.kind, c.u.series.map(s => s.label)]))");

        Assert.Empty(browser.Errors);
        Assert.Equal("""[["slab-growth",["time","sock_inode_cache","kmalloc-8"]],["sunreclaim",["time","SUnreclaim"]]]""", charts.GetString());
        Assert.Contains("OOM killer chose 23713/nginx", (await browser.Evaluate("document.body.innerText")).GetString(), StringComparison.Ordinal);
        Assert.True((await browser.Evaluate("tracerReport.charts.every(c => c.u.scales.x.max >= tracerReport.data.slab.ooms[0].t)")).GetBoolean(), "the OOM kill is on both charts' time axis");
        Assert.Equal("__sys_socket → sock_alloc_inode", (await browser.Evaluate("document.querySelector('section.suspect ul.stacks code').textContent")).GetString());
        Assert.Contains("by hrrb ×120000, apache2 ×60000", (await browser.Evaluate("document.querySelector('section.suspect ul.stacks li').textContent")).GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsoleErrorsAndUncaughtExceptionsOfAPageAreCaught()
    {
        Directory.CreateDirectory(Output);
        var path = Path.Combine(Output, "broken.html");
        await File.WriteAllTextAsync(path, "<body><script>console.error('drawn wrong'); document.body.dataset.rendered = 'true'; null.x;</script></body>");
        await using var browser = await HeadlessChromium.Start();

        await browser.Open(path);

        Assert.Contains(browser.Errors, e => e.Contains("drawn wrong", StringComparison.Ordinal));
        Assert.Contains(browser.Errors, e => e.StartsWith("exception:", StringComparison.Ordinal));
    }
}
