using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tracer.Telemetry.Implementation;
using static Tracer.Telemetry.Tests.Findings;

namespace Tracer.Telemetry.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OtlpJsonFileTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"tracer-telemetry-tests-{Guid.NewGuid():N}");

    [Fact]
    public void SpansAreWrittenInTheOtlpJsonMapping()
    {
        var settings = TelemetrySettings.Resolve(null, null, directory, _ => null);
        var health = new ExportHealth(NullLogger.Instance);
        using (var traces = Sdk.CreateTracerProviderBuilder().AddTracerInstrumentation().AddTracerExporter(settings, health).Build())
        {
            var sink = new TelemetrySink(NullLogger.Instance, Wall);
            sink.Emit(Start(zeroSince: 10, reported: 10.2));
            sink.Emit(Stuck(zeroSince: 10, at: 11));
            sink.Emit(Open(zeroSince: 10, end: 12.5, stuck: true));
        }

        var line = Assert.Single(File.ReadAllLines(Path.Combine(directory, "traces.jsonl")));
        var request = JsonDocument.Parse(line).RootElement;
        var resource = request.GetProperty("resourceSpans")[0];
        Assert.Contains(resource.GetProperty("resource").GetProperty("attributes").EnumerateArray(), a => a.GetProperty("key").GetString() == "service.name");
        var scope = resource.GetProperty("scopeSpans")[0];
        Assert.Equal("Tracer", scope.GetProperty("scope").GetProperty("name").GetString());
        var span = scope.GetProperty("spans")[0];
        Assert.Matches("^[0-9a-f]{32}$", span.GetProperty("traceId").GetString());
        Assert.Matches("^[0-9a-f]{16}$", span.GetProperty("spanId").GetString());
        Assert.False(span.TryGetProperty("parentSpanId", out _));
        Assert.Equal("tcp.zero_window", span.GetProperty("name").GetString());
        Assert.Equal(1, span.GetProperty("kind").GetInt32());
        var start = (Boot.AddSeconds(10) - DateTime.UnixEpoch).Ticks * 100;
        Assert.Equal(start.ToString(), span.GetProperty("startTimeUnixNano").GetString());
        Assert.Equal((start + 2_500_000_000).ToString(), span.GetProperty("endTimeUnixNano").GetString());
        Assert.Equal(2, span.GetProperty("status").GetProperty("code").GetInt32());
        Assert.Equal("tcp.stuck", span.GetProperty("events")[0].GetProperty("name").GetString());
        var attributes = span.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value"));
        Assert.Equal("51034", attributes["network.local.port"].GetProperty("intValue").GetString());
        Assert.Equal("rsync", attributes["process.command"].GetProperty("stringValue").GetString());
        Assert.True(attributes["tracer.tcp.stuck"].GetProperty("boolValue").GetBoolean());
        Assert.Equal(2, attributes["tracer.tcp.advertised_windows"].GetProperty("arrayValue").GetProperty("values").GetArrayLength());
    }

    [Fact]
    public void HistogramsAndCountersAreWrittenWithBucketsAndStringIntegers()
    {
        var settings = TelemetrySettings.Resolve(null, null, directory, _ => null);
        using (var provider = Sdk.CreateMeterProviderBuilder().AddTracerInstrumentation().AddTracerExporter(settings, new ExportHealth(NullLogger.Instance)).Build())
        {
            var sink = new TelemetrySink(NullLogger.Instance, Wall);
            sink.Emit(Start(zeroSince: 10, reported: 10.2));
            sink.Emit(End(zeroSince: 10, end: 13));
        }

        var request = JsonDocument.Parse(File.ReadAllLines(Path.Combine(directory, "metrics.jsonl"))[^1]).RootElement;
        var metrics = request.GetProperty("resourceMetrics")[0].GetProperty("scopeMetrics")[0].GetProperty("metrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!);
        var episodes = metrics[TracerTelemetry.ZeroWindowEpisodesMetric].GetProperty("sum");
        Assert.True(episodes.GetProperty("isMonotonic").GetBoolean());
        Assert.Equal(2, episodes.GetProperty("aggregationTemporality").GetInt32());
        Assert.True(long.Parse(episodes.GetProperty("dataPoints")[0].GetProperty("asInt").GetString()!) >= 1);
        var duration = metrics[TracerTelemetry.ZeroWindowDurationMetric].GetProperty("histogram").GetProperty("dataPoints")[0];
        Assert.Equal("s", metrics[TracerTelemetry.ZeroWindowDurationMetric].GetProperty("unit").GetString());
        var bounds = duration.GetProperty("explicitBounds").EnumerateArray().Select(b => b.GetDouble()).ToList();
        Assert.Equal(bounds.Count + 1, duration.GetProperty("bucketCounts").GetArrayLength());
        Assert.Contains(5.0, bounds);
    }

    [Fact]
    public void FilesRotateBySizeAndKeepOnlySoMany()
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "x.jsonl");
        using (var file = new RotatingFile(path, maxBytes: 100, keep: 3))
        {
            for (var i = 0; i < 10; i++)
            {
                file.WriteLine(Encoding.UTF8.GetBytes($"{{\"line\":{i},\"pad\":\"{new string('x', 40)}\"}}"));
            }
        }

        Assert.Equal(["x.jsonl", "x.jsonl.1", "x.jsonl.2"], Directory.GetFiles(directory).Select(Path.GetFileName).Order());
        Assert.Contains("\"line\":9", File.ReadAllText(path));
        Assert.Contains("\"line\":8", File.ReadAllText(path + ".1"));
        Assert.Contains("\"line\":7", File.ReadAllText(path + ".2"));
        Assert.All(Directory.GetFiles(directory), f => Assert.True(new FileInfo(f).Length <= 100));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
