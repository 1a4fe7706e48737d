using System.Diagnostics;
using System.Text.Json;

namespace Tracer.Integration.Tests;

/// <summary>
/// deploy/: the alert rules pass <c>promtool check rules</c> and their unit tests (<c>promtool test rules</c>),
/// the example scrape config is valid, and the dashboard's queries are PromQL over metric names (which
/// <see cref="PrometheusScrapeTests"/> checks against a real scrape).
/// </summary>
public sealed class DeployTests
{
    public static string PrometheusDirectory { get; } = Path.Combine(RepoPaths.Root, "deploy", "prometheus");

    public static string RulesFile { get; } = Path.Combine(PrometheusDirectory, "tracer-rules.yml");

    public static string DashboardFile { get; } = Path.Combine(RepoPaths.Root, "deploy", "grafana", "tracer-dashboard.json");

    [Fact]
    public void TheAlertRulesPassPromtoolCheck()
    {
        var (exitCode, output) = Promtool("check", "rules", RulesFile);
        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS: 8 rules found", output);
    }

    [Fact]
    public void TheAlertRulesPassTheirUnitTests()
    {
        var (exitCode, output) = Promtool("test", "rules", Path.Combine(PrometheusDirectory, "tracer-rules.test.yml"));
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void TheExampleScrapeConfigIsValid()
    {
        var (exitCode, output) = Promtool("check", "config", Path.Combine(PrometheusDirectory, "prometheus.yml"));
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void EveryDashboardPanelQueriesTracerMetrics()
    {
        var queries = DashboardQueries();
        Assert.True(queries.Count >= 20, $"{queries.Count} queries");
        Assert.All(queries, q => Assert.NotEmpty(PromQl.MetricNames(q)));
    }

    [Fact]
    public void MetricNamesAreReadOutOfPromQl()
    {
        Assert.Equal(
            ["tracer_tcp_zero_window_duration_seconds_bucket"],
            PromQl.MetricNames("histogram_quantile(0.99, sum by (le) (rate(tracer_tcp_zero_window_duration_seconds_bucket{instance=~\"$instance\", x=\"a(b)\"}[$__rate_interval])))"));
        Assert.Equal(
            ["tracer_findings_total"],
            PromQl.MetricNames("sum by (job) (tracer_findings_total{k=\"s\"} unless tracer_findings_total offset 30m) * 1e9 > 67108864"));
        Assert.Equal(["a", "b:c"], PromQl.MetricNames("topk(5, a) and on (x) b:c"));
    }

    /// <summary>Every PromQL query of the dashboard: panel targets and template variables.</summary>
    public static IReadOnlyList<string> DashboardQueries()
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardFile)).RootElement;
        var targets = dashboard.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!);
        var variables = dashboard.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(v => v.GetProperty("type").GetString() == "query")
            .Select(v => LabelValuesSelector(v.GetProperty("query").GetString()!));
        return targets.Concat(variables).ToList();
    }

    /// <summary>Grafana's <c>label_values(SELECTOR, LABEL)</c> as the PromQL selector it queries.</summary>
    private static string LabelValuesSelector(string query)
    {
        Assert.StartsWith("label_values(", query, StringComparison.Ordinal);
        return query["label_values(".Length..query.LastIndexOf(',')];
    }

    private static (int ExitCode, string Output) Promtool(params string[] args)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        args.ToList().ForEach(start.ArgumentList.Add);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is missing: scripts/install-deps.sh installs Debian's prometheus package", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "promtool did not finish");
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
