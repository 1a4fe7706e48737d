using System.Net;
using OpenTelemetry.Exporter;

namespace Tracer.Telemetry.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TelemetrySettingsTests
{
    private static readonly string DataDir = Path.Combine(Path.GetTempPath(), $"tracer-settings-{Environment.ProcessId}");

    [Fact]
    public void WithoutAnEndpointTelemetryGoesToFilesInAPrivateDirectory()
    {
        var dir = Path.Combine(DataDir, "fresh");
        try
        {
            var settings = TelemetrySettings.Resolve(null, null, dir, _ => null);
            Assert.False(settings.UsesOtlp);
            Assert.Equal(dir, settings.DataDirectory);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
            Assert.Empty(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }

    [Fact]
    public void TheCommandLineWinsOverTheEnvironment()
    {
        var env = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318", ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf" };
        var fromEnv = TelemetrySettings.Resolve(null, null, null, env.GetValueOrDefault);
        Assert.True(fromEnv.UsesOtlp);
        Assert.Null(fromEnv.Endpoint);
        Assert.Equal(OtlpExportProtocol.HttpProtobuf, fromEnv.Protocol);

        var fromFlags = TelemetrySettings.Resolve("https://otel.example:4317", "grpc", null, env.GetValueOrDefault);
        Assert.Equal(new Uri("https://otel.example:4317"), fromFlags.Endpoint);
        Assert.Equal(OtlpExportProtocol.Grpc, fromFlags.Protocol);
    }

    [Theory]
    [InlineData("localhost:4317", null, null, "--otlp-endpoint localhost:4317: not an OTLP endpoint URL")]
    [InlineData("ftp://collector", null, null, "--otlp-endpoint ftp://collector: not an OTLP endpoint URL")]
    [InlineData(null, "http/json", null, "--otlp-protocol http/json: unknown OTLP protocol; use grpc or http/protobuf")]
    [InlineData(null, null, "/proc/no-telemetry-here", "--data-dir /proc/no-telemetry-here: cannot write telemetry files there")]
    public void BadInputIsOneSentence(string? endpoint, string? protocol, string? dataDir, string message)
    {
        var e = Assert.Throws<TelemetryConfigurationException>(() => TelemetrySettings.Resolve(endpoint, protocol, dataDir, _ => null));
        Assert.StartsWith(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]
    [InlineData("OTEL_METRIC_EXPORT_INTERVAL", "soon")]
    public void BadVariablesAreNamed(string variable, string value)
    {
        var e = Assert.Throws<TelemetryConfigurationException>(() => TelemetrySettings.Resolve(null, null, DataDir, v => v == variable ? value : null));
        Assert.StartsWith(variable, e.Message);
    }

    [Theory]
    [InlineData("http://collector:4318", null, OtlpExportProtocol.HttpProtobuf)]
    [InlineData("http://collector:4318", "grpc", OtlpExportProtocol.Grpc)]
    [InlineData("http://collector:4317", null, null)]
    public void AnEndpointOnPort4318MeansHttpUnlessAProtocolIsGiven(string endpoint, string? protocol, OtlpExportProtocol? expected)
    {
        Assert.Equal(expected, TelemetrySettings.Resolve(endpoint, protocol, null, _ => null).Protocol);
        var env = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint };
        if (protocol is not null)
        {
            env["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol;
        }

        Assert.Equal(expected, TelemetrySettings.Resolve(null, null, null, env.GetValueOrDefault).Protocol);
    }

    [Fact]
    public void ASignalsExporterSetToNoneTurnsThatSignalOff()
    {
        var env = new Dictionary<string, string> { ["OTEL_TRACES_EXPORTER"] = "none", ["OTEL_LOGS_EXPORTER"] = "otlp" };
        var settings = TelemetrySettings.Resolve("http://collector:4317", null, null, env.GetValueOrDefault);
        Assert.False(settings.ExportTraces);
        Assert.True(settings.ExportMetrics);
        Assert.True(settings.ExportLogs);
        Assert.Contains("(traces off)", settings.Destination);
    }

    [Theory]
    [InlineData("OTEL_TRACES_EXPORTER", "zipkin", "OTEL_TRACES_EXPORTER zipkin: give otlp or none")]
    [InlineData("OTEL_METRICS_EXPORTER", "prometheus", "OTEL_METRICS_EXPORTER prometheus: give otlp or none; the Prometheus endpoint is --prometheus ADDR:PORT or TRACER_PROMETHEUS")]
    [InlineData("TRACER_PROMETHEUS", "9464", "TRACER_PROMETHEUS 9464: give the IPv4 address and port")]
    [InlineData("TRACER_PROMETHEUS", "[::1]:9464", "TRACER_PROMETHEUS [::1]:9464: give the IPv4 address and port")]
    public void UnusableExporterAndPrometheusVariablesAreNamed(string variable, string value, string message)
    {
        var e = Assert.Throws<TelemetryConfigurationException>(() => TelemetrySettings.Resolve(null, null, DataDir, v => v == variable ? value : null));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void ThePrometheusEndpointComesFromTheCommandLineElseTheEnvironment()
    {
        Assert.Null(TelemetrySettings.Resolve("http://collector:4317", null, null, _ => null).Prometheus);
        var env = new Dictionary<string, string> { ["TRACER_PROMETHEUS"] = "0.0.0.0:9464" };
        Assert.Equal(new IPEndPoint(IPAddress.Any, 9464), TelemetrySettings.Resolve("http://collector:4317", null, null, env.GetValueOrDefault).Prometheus);
        var settings = TelemetrySettings.Resolve("http://collector:4317", null, null, env.GetValueOrDefault, "127.0.0.1:19464");
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 19464), settings.Prometheus);
        Assert.EndsWith("; Prometheus metrics at http://127.0.0.1:19464/metrics", settings.Destination);
        var e = Assert.Throws<TelemetryConfigurationException>(() => TelemetrySettings.Resolve(null, null, DataDir, _ => null, "localhost"));
        Assert.StartsWith("--prometheus localhost: give the IPv4 address and port", e.Message);
    }

    [Fact]
    public void TheDefaultDirectoryFollowsSystemdThenTheUser()
    {
        Assert.Equal("/var/lib/tracer", TelemetrySettings.DefaultDataDirectory(v => v == "STATE_DIRECTORY" ? "/var/lib/tracer" : null));
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Equal("/home/u/.state/tracer", TelemetrySettings.DefaultDataDirectory(v => v == "XDG_STATE_HOME" ? "/home/u/.state" : null));
        }
        else
        {
            Assert.Equal("/var/lib/tracer", TelemetrySettings.DefaultDataDirectory(_ => null));
        }
    }
}
