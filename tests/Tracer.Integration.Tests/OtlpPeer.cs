using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Tracer.Integration.Tests;

/// <summary>
/// A real OTLP receiver on loopback: <c>@elastic/mockotlpserver</c> from tests/otlp-peer
/// (gRPC 4317, HTTP 4318), installed with <c>npm ci</c> when missing. It prints every request it
/// receives as one normalized JSON line (<c>-o json</c>); those lines are what the tests read.
/// Its JSON API on 8080 (<c>--ui</c>) lists only traces, so it is not used.
/// </summary>
public sealed class OtlpPeer : IDisposable
{
    public const string GrpcEndpoint = "http://127.0.0.1:4317";
    public const string HttpEndpoint = "http://127.0.0.1:4318";

    private readonly ConcurrentQueue<JsonElement> requests = new();
    private Process? process;

    public static string Directory { get; } = Path.Combine(RepoPaths.Root, "tests", "otlp-peer");

    public void Start()
    {
        Install();
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(Directory, "node_modules/@elastic/mockotlpserver/lib/cli.js"), "--hostname=127.0.0.1", "-o", "json" })
        {
            start.ArgumentList.Add(a);
        }

        var listening = new CountdownEvent(2);
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            if (line.Contains("listening at", StringComparison.Ordinal) && listening.CurrentCount > 0)
            {
                listening.Signal();
            }
            else if (line.StartsWith("{\"resource", StringComparison.Ordinal))
            {
                requests.Enqueue(JsonDocument.Parse(line).RootElement.Clone());
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Assert.True(listening.Wait(TimeSpan.FromSeconds(20)), "mockotlpserver did not start listening on 4317 and 4318");
    }

    /// <summary>Kills the receiver (by its pid) as a crash would.</summary>
    public void Stop()
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            process.WaitForExit(5000);
        }

        process?.Dispose();
        process = null;
    }

    public IEnumerable<JsonElement> Spans() =>
        requests.Where(r => r.TryGetProperty("resourceSpans", out _))
            .SelectMany(r => r.GetProperty("resourceSpans").EnumerateArray())
            .SelectMany(rs => rs.GetProperty("scopeSpans").EnumerateArray())
            .SelectMany(ss => ss.GetProperty("spans").EnumerateArray());

    public IEnumerable<string> MetricNames() =>
        requests.Where(r => r.TryGetProperty("resourceMetrics", out _))
            .SelectMany(r => r.GetProperty("resourceMetrics").EnumerateArray())
            // the protobuf JSON mapping omits empty repeated fields: an export made before any instrument existed has none
            .SelectMany(rm => rm.TryGetProperty("scopeMetrics", out var scopes) ? scopes.EnumerateArray() : default)
            .SelectMany(sm => sm.GetProperty("metrics").EnumerateArray())
            .Select(m => m.GetProperty("name").GetString()!);

    public IEnumerable<JsonElement> LogRecords() =>
        requests.Where(r => r.TryGetProperty("resourceLogs", out _))
            .SelectMany(r => r.GetProperty("resourceLogs").EnumerateArray())
            .SelectMany(rl => rl.GetProperty("scopeLogs").EnumerateArray())
            .SelectMany(sl => sl.GetProperty("logRecords").EnumerateArray());

    /// <summary>The resource of every request received, all signals.</summary>
    public IEnumerable<JsonElement> Resources() =>
        requests.SelectMany(r => r.EnumerateObject())
            .Where(p => p.Name is "resourceSpans" or "resourceMetrics" or "resourceLogs")
            .SelectMany(p => p.Value.EnumerateArray())
            .Select(rs => rs.GetProperty("resource"));

    public int MetricRequests => requests.Count(r => r.TryGetProperty("resourceMetrics", out _));

    /// <summary>Waits until <paramref name="condition"/> holds; false after <paramref name="timeout"/>.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(100);
        }

        return true;
    }

    public void Dispose() => Stop();

    /// <summary><c>npm ci</c> in tests/otlp-peer unless the receiver is already installed.</summary>
    public static void Install()
    {
        if (File.Exists(Path.Combine(Directory, "node_modules/@elastic/mockotlpserver/lib/cli.js")))
        {
            return;
        }

        var npm = new ProcessStartInfo("npm") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "ci", "--no-audit", "--no-fund" })
        {
            npm.ArgumentList.Add(a);
        }

        using var p = Process.Start(npm)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "npm ci in tests/otlp-peer did not finish");
        Assert.True(p.ExitCode == 0, $"npm ci in tests/otlp-peer failed: {output.Result}{errors.Result}");
    }
}

/// <summary>Attribute lookups on OTLP JSON as the receiver prints it (a map) or as the files hold it (a key/value list).</summary>
public static class OtlpJsonRead
{
    public static string? Attribute(JsonElement item, string key)
    {
        if (!item.TryGetProperty("attributes", out var attributes))
        {
            return null;
        }

        if (attributes.ValueKind == JsonValueKind.Object)
        {
            return attributes.TryGetProperty(key, out var v) ? Text(v) : null;
        }

        foreach (var kv in attributes.EnumerateArray())
        {
            if (kv.GetProperty("key").GetString() == key)
            {
                var value = kv.GetProperty("value").EnumerateObject().First().Value;
                return Text(value);
            }
        }

        return null;
    }

    /// <summary>The data points of metric <paramref name="name"/> (a gauge or a sum) in an OTLP JSON Lines file.</summary>
    public static IEnumerable<JsonElement> MetricPoints(string path, string name) =>
        Requests(path, "resourceMetrics")
            // the protobuf JSON mapping omits empty repeated fields: an export made before any instrument existed has none
            .SelectMany(rm => rm.TryGetProperty("scopeMetrics", out var scopes) ? scopes.EnumerateArray() : default)
            .SelectMany(sm => sm.GetProperty("metrics").EnumerateArray())
            .Where(m => m.GetProperty("name").GetString() == name)
            .SelectMany(m => (m.TryGetProperty("gauge", out var g) ? g : m.GetProperty("sum")).GetProperty("dataPoints").EnumerateArray());

    /// <summary>The log records in an OTLP JSON Lines file.</summary>
    public static IEnumerable<JsonElement> LogRecords(string path) =>
        Requests(path, "resourceLogs")
            .SelectMany(rl => rl.GetProperty("scopeLogs").EnumerateArray())
            .SelectMany(sl => sl.GetProperty("logRecords").EnumerateArray());

    /// <summary>The span's duration from its unix-nanosecond start and end.</summary>
    public static TimeSpan Duration(JsonElement span) =>
        TimeSpan.FromTicks((long)((ulong.Parse(Text(span.GetProperty("endTimeUnixNano"))) - ulong.Parse(Text(span.GetProperty("startTimeUnixNano")))) / 100));

    private static IEnumerable<JsonElement> Requests(string path, string resources) =>
        File.ReadLines(path).SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty(resources).EnumerateArray());

    private static string Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => v.GetRawText(),
    };
}
