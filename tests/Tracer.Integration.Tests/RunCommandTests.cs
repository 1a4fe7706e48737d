using System.Diagnostics;
using System.Text.Json;

namespace Tracer.Integration.Tests;

/// <summary><c>tracer run</c> without an OTLP endpoint (OTLP JSON files), and its bad input.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RunCommandTests
{
    [KernelFact]
    public void WithoutAnEndpointTheEpisodeLandsInOtlpJsonFiles()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), $"tracer-run-{Environment.ProcessId}");
        try
        {
            using var loopback = new Loopback();
            using var tracer = new RunTracerProcess(null, "run", "--data-dir", dataDir, "--port", loopback.Port.ToString(), "--duration", "8");
            var (clientPort, stall) = ZeroWindowEpisode.Make(loopback, TimeSpan.FromSeconds(3));
            var (exitCode, _, stderr) = tracer.Finish(TimeSpan.FromSeconds(40));
            Assert.Equal(0, exitCode);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));
            foreach (var name in new[] { "traces.jsonl", "metrics.jsonl", "logs.jsonl" })
            {
                var path = Path.Combine(dataDir, name);
                Assert.True(File.Exists(path), $"no {name}: {stderr}");
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            var span = File.ReadLines(Path.Combine(dataDir, "traces.jsonl"))
                .Select(l => JsonDocument.Parse(l).RootElement)
                .SelectMany(r => r.GetProperty("resourceSpans").EnumerateArray())
                .SelectMany(rs => rs.GetProperty("scopeSpans").EnumerateArray())
                .SelectMany(ss => ss.GetProperty("spans").EnumerateArray())
                .Single(s => OtlpJsonRead.Attribute(s, "network.local.port") == clientPort.ToString());
            OtlpExportTests.AssertConnectionAttributes(span, clientPort, loopback.Port);
            Assert.InRange(OtlpJsonRead.Duration(span).TotalMilliseconds, stall.TotalMilliseconds * 0.9, stall.TotalMilliseconds * 1.1);
            Assert.Contains("tracer.tcp.zero_window.episodes", File.ReadAllText(Path.Combine(dataDir, "metrics.jsonl")));
            Assert.Contains("tcp.zero_window.end", File.ReadAllText(Path.Combine(dataDir, "logs.jsonl")));

            // every line is an OTLP export request in the protobuf JSON mapping
            var check = CheckOtlpJson(Directory.GetFiles(dataDir, "*.jsonl"));
            Assert.True(check.ExitCode == 0, check.Output);
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("--otlp-endpoint", "collector:4317", "tracer: --otlp-endpoint collector:4317: not an OTLP endpoint URL")]
    [InlineData("--otlp-endpoint", "http//nowhere", "tracer: --otlp-endpoint http//nowhere: not an OTLP endpoint URL")]
    [InlineData("--otlp-protocol", "http/json", "tracer: --otlp-protocol http/json: unknown OTLP protocol; use grpc or http/protobuf")]
    [InlineData("--data-dir", "/proc/tracer-data", "tracer: --data-dir /proc/tracer-data: cannot write telemetry files there")]
    [InlineData("--data-dir", "/dev/null/tracer", "tracer: --data-dir /dev/null/tracer: cannot write telemetry files there")]
    public void BadTelemetryInputIsOneLineAndExitTwoBeforeAttaching(string option, string value, string message)
    {
        var clock = Stopwatch.StartNew();
        var result = TracerProcess.Run("run", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(message, result.Stderr);
        Assert.Equal(1, result.Stderr.Count(c => c == '\n'));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void AnUnknownProtocolInTheEnvironmentIsNamed()
    {
        var start = new ProcessStartInfo(TracerProcess.Binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("run");
        start.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/json";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(10000));
        Assert.Equal(2, process.ExitCode);
        Assert.Equal("tracer: OTEL_EXPORTER_OTLP_PROTOCOL http/json: unknown OTLP protocol; use grpc or http/protobuf\n", stderr);
    }

    private static (int ExitCode, string Output) CheckOtlpJson(string[] files)
    {
        OtlpPeer.Install();
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(OtlpPeer.Directory, "check-otlp-json.js"));
        files.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
