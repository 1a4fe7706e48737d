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
