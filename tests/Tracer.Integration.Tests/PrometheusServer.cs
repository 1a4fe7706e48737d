using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tracer.Integration.Tests;

/// <summary>
/// Debian's <c>prometheus</c> on a free loopback port, scraping one target every second and loading
/// the given rule files, with its data in a temporary directory; queried through its HTTP API.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process process;
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("tracer-prometheus-");
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public PrometheusServer(string target, params string[] ruleFiles)
    {
        Port = FreePort();
        var config = Path.Combine(directory.FullName, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files: [{string.Join(", ", ruleFiles.Select(f => $"\"{f}\""))}]
            scrape_configs:
              - job_name: tracer
                static_configs:
                  - targets: ["{target}"]
            """);
        var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}", $"--web.listen-address=127.0.0.1:{Port}" })
        {
            start.ArgumentList.Add(a);
        }

        process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Assert.True(OtlpPeer.WaitUntil(Ready, TimeSpan.FromSeconds(30)), "prometheus did not become ready");
    }

    public int Port { get; }

    /// <summary>A loopback port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The instant vector <paramref name="promql"/> evaluates to now: each series' labels and value.</summary>
    public IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> Query(string promql)
    {
        var data = Api($"query?query={Uri.EscapeDataString(promql)}");
        return data.GetProperty("result").EnumerateArray()
            .Select(s => ((IReadOnlyDictionary<string, string>)s.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                double.Parse(s.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary>Every metric name Prometheus has stored from its scrapes.</summary>
    public IReadOnlySet<string> MetricNames() =>
        Api("label/__name__/values").EnumerateArray().Select(n => n.GetString()!).ToHashSet();

    /// <summary>The expression of every rule Prometheus loaded.</summary>
    public IReadOnlyList<string> RuleQueries() =>
        Api("rules").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => r.GetProperty("query").GetString()!)
            .ToList();

    /// <summary>Null when Prometheus accepts <paramref name="promql"/>, else its error.</summary>
    public string? QueryError(string promql)
    {
        using var response = http.GetAsync($"http://127.0.0.1:{Port}/api/v1/query?query={Uri.EscapeDataString(promql)}").Result;
        var body = JsonDocument.Parse(response.Content.ReadAsStringAsync().Result).RootElement;
        return body.GetProperty("status").GetString() == "success" ? null : body.GetProperty("error").GetString();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(5000);
        }

        process.Dispose();
        http.Dispose();
        directory.Delete(recursive: true);
    }

    private JsonElement Api(string path)
    {
        var body = http.GetStringAsync($"http://127.0.0.1:{Port}/api/v1/{path}").Result;
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("success", root.GetProperty("status").GetString());
        return root.GetProperty("data").Clone();
    }

    private bool Ready()
    {
        Assert.False(process.HasExited, "prometheus exited at start");
        try
        {
            using var response = http.GetAsync($"http://127.0.0.1:{Port}/-/ready").Result;
            return response.IsSuccessStatusCode;
        }
        catch (AggregateException)
        {
            return false;
        }
    }
}

/// <summary>The metric names a PromQL expression selects (enough PromQL for dashboards and rules).</summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan",
    };

    public static IReadOnlyList<string> MetricNames(string expr)
    {
        var text = Strings().Replace(expr, "\"\"");
        text = Braces().Replace(text, " ");
        text = Brackets().Replace(text, " ");
        text = Groupings().Replace(text, " ");
        text = GrafanaVariables().Replace(text, " ");
        return Identifiers().Matches(text).Select(m => m.Value).Where(n => !Keywords.Contains(n)).Distinct().ToList();
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Groupings();

    [GeneratedRegex(@"\$\{?\w+\}?")]
    private static partial Regex GrafanaVariables();

    /// <summary>Names not preceded by a digit, letter or dot (numbers like 1e9) and not followed by "(" (functions).</summary>
    [GeneratedRegex(@"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*(?!\w)(?!\s*\()")]
    private static partial Regex Identifiers();
}
