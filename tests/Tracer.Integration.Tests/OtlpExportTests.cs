using System.Text.Json;

namespace Tracer.Integration.Tests;

/// <summary><c>tracer run</c> exporting to a real OTLP receiver on loopback, over gRPC and HTTP/protobuf.</summary>
public sealed class OtlpExportTests
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(3);

    [KernelTheory]
    [InlineData("grpc", OtlpPeer.GrpcEndpoint)]
    [InlineData("http/protobuf", OtlpPeer.HttpEndpoint)]
    public void AZeroWindowEpisodeArrivesAsASpanWithMetricsAndLogs(string protocol, string endpoint)
    {
        using var peer = new OtlpPeer();
        peer.Start();
        using var loopback = new Loopback();
        using var tracer = new RunTracerProcess(null, "run", "--otlp-endpoint", endpoint, "--otlp-protocol", protocol,
            "--port", loopback.Port.ToString(), "--no-slab", "--duration", "9");
        var (clientPort, stall) = ZeroWindowEpisode.Make(loopback, Hold);
        var (exitCode, _, stderr) = tracer.Finish(TimeSpan.FromSeconds(40));
        Assert.Equal(0, exitCode);

        Assert.True(OtlpPeer.WaitUntil(() => EpisodeSpan(peer, clientPort) is not null, TimeSpan.FromSeconds(10)),
            $"no tcp.zero_window span for port {clientPort} arrived over {protocol}; tracer said: {stderr}");
        var span = EpisodeSpan(peer, clientPort)!.Value;
        AssertConnectionAttributes(span, clientPort, loopback.Port);
        var duration = OtlpJsonRead.Duration(span);
        Assert.InRange(duration.TotalMilliseconds, stall.TotalMilliseconds * 0.9, stall.TotalMilliseconds * 1.1);

        var metrics = peer.MetricNames().ToHashSet();
        foreach (var name in new[] { "tracer.tcp.zero_window.episodes", "tracer.tcp.zero_window.duration", "tracer.tcp.zero_window.active", "tracer.event.count", "tracer.event.dropped", "tracer.tcp.max_wl1_lag" })
        {
            Assert.Contains(name, metrics);
        }

        var ends = peer.LogRecords().Where(r => OtlpJsonRead.Attribute(r, "tracer.finding.kind") == "tcp.zero_window.end").ToList();
        Assert.Contains(ends, r => OtlpJsonRead.Attribute(r, "network.local.port") == clientPort.ToString());
    }

    [KernelFact]
    public void AReceiverDownAtStartAndKilledMidRunCostsTelemetryButNotTheTracer()
    {
        using var peer = new OtlpPeer();
        using var loopback = new Loopback();
        using var tracer = new RunTracerProcess(null, "run", "--otlp-endpoint", OtlpPeer.GrpcEndpoint,
            "--port", loopback.Port.ToString(), "--no-slab", "--duration", "40");

        // down at start: exports fail, are counted and logged, the tracer keeps going
        Assert.True(OtlpPeer.WaitUntil(() => tracer.Stderr.Contains("telemetry export of metrics", StringComparison.Ordinal), TimeSpan.FromSeconds(15)),
            $"no export failure was logged: {tracer.Stderr}");
        Assert.Contains("lost so far", tracer.Stderr);
        Assert.False(tracer.HasExited);
        var rssDown = tracer.RssBytes;

        // up: export resumes
        peer.Start();
        Assert.True(OtlpPeer.WaitUntil(() => peer.MetricRequests > 0, TimeSpan.FromSeconds(15)), $"metrics did not resume: {tracer.Stderr}");
        Assert.True(OtlpPeer.WaitUntil(() => tracer.Stderr.Contains("works again", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), tracer.Stderr);

        // killed mid-run, with an episode while it is down: lost and counted, never fatal
        peer.Stop();
        var failuresBefore = Count(tracer.Stderr, "failed");
        ZeroWindowEpisode.Make(loopback, TimeSpan.FromSeconds(1));
        Assert.True(OtlpPeer.WaitUntil(() => Count(tracer.Stderr, "failed") > failuresBefore, TimeSpan.FromSeconds(20)), tracer.Stderr);
        var samples = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            samples.Add(tracer.RssBytes);
            Thread.Sleep(1000);
        }

        Assert.False(tracer.HasExited);
        Assert.True(samples.Max() < Math.Max(rssDown * 2, 300L << 20), $"memory grew while the receiver was down: {rssDown} then {string.Join(", ", samples)} bytes");

        // back: a new episode arrives as a span
        peer.Start();
        var (clientPort, _) = ZeroWindowEpisode.Make(loopback, TimeSpan.FromSeconds(1));
        Assert.True(OtlpPeer.WaitUntil(() => EpisodeSpan(peer, clientPort) is not null, TimeSpan.FromSeconds(20)), $"export did not resume: {tracer.Stderr}");
        Assert.False(tracer.HasExited);
    }

    [KernelTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnEndpointOnPort4318WithNoProtocolGivenIsSpokenToOverHttp(bool onTheCommandLine)
    {
        using var peer = new OtlpPeer();
        peer.Start();
        using var loopback = new Loopback();
        var environment = onTheCommandLine ? null : new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = OtlpPeer.HttpEndpoint };
        string[] endpoint = onTheCommandLine ? ["--otlp-endpoint", OtlpPeer.HttpEndpoint] : [];
        using var tracer = new RunTracerProcess(environment, ["run", .. endpoint, "--port", loopback.Port.ToString(), "--no-slab", "--duration", "7"]);
        var (clientPort, _) = ZeroWindowEpisode.Make(loopback, TimeSpan.FromSeconds(1));
        var (exitCode, _, stderr) = tracer.Finish(TimeSpan.FromSeconds(40));
        Assert.Equal(0, exitCode);

        Assert.Contains("telemetry to OTLP http/protobuf", stderr);
        Assert.True(OtlpPeer.WaitUntil(() => EpisodeSpan(peer, clientPort) is not null, TimeSpan.FromSeconds(10)), $"no span arrived over HTTP: {stderr}");
        Assert.Contains("tracer.tcp.zero_window.episodes", peer.MetricNames());
        Assert.DoesNotContain("telemetry export of", stderr);
    }

    [KernelFact]
    public void WithTracesExporterNoneNoSpanExportIsAttemptedAndMetricsAndLogsStillArrive()
    {
        using var peer = new OtlpPeer();
        peer.Start();
        using var loopback = new Loopback();
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = OtlpPeer.GrpcEndpoint,
            ["OTEL_TRACES_EXPORTER"] = "none",
            // were spans exported, they would go here, where nothing listens, and fail loudly
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = $"http://127.0.0.1:{PrometheusServer.FreePort()}",
        };
        using var tracer = new RunTracerProcess(environment, "run", "--port", loopback.Port.ToString(), "--no-slab", "--duration", "7");
        var (clientPort, _) = ZeroWindowEpisode.Make(loopback, TimeSpan.FromSeconds(1));
        var (exitCode, _, stderr) = tracer.Finish(TimeSpan.FromSeconds(40));
        Assert.Equal(0, exitCode);

        Assert.Contains("(traces off)", stderr);
        Assert.True(OtlpPeer.WaitUntil(() => peer.LogRecords().Any(r => OtlpJsonRead.Attribute(r, "network.local.port") == clientPort.ToString()), TimeSpan.FromSeconds(10)),
            $"the episode's log records did not arrive: {stderr}");
        Assert.Contains("tracer.tcp.zero_window.episodes", peer.MetricNames());
        Assert.Empty(peer.Spans());
        Assert.DoesNotContain("telemetry export of spans", stderr);
    }

    [KernelFact]
    public void TheServiceInstanceIdIsTheSameAcrossRunsAndIsNotTheMachineId()
    {
        using var peer = new OtlpPeer();
        peer.Start();
        var requestsBefore = 0;
        for (var run = 0; run < 2; run++)
        {
            using var tracer = new RunTracerProcess(null, "run", "--otlp-endpoint", OtlpPeer.GrpcEndpoint, "--no-slab", "--duration", "2");
            Assert.Equal(0, tracer.Finish(TimeSpan.FromSeconds(30)).ExitCode);
            Assert.True(OtlpPeer.WaitUntil(() => peer.MetricRequests > requestsBefore, TimeSpan.FromSeconds(10)), $"no metrics arrived from run {run + 1}");
            requestsBefore = peer.MetricRequests;
        }

        var machineId = File.ReadAllText("/etc/machine-id").Trim();
        var id = Assert.Single(peer.Resources().Select(r => OtlpJsonRead.Attribute(r, "service.instance.id")).Distinct());
        Assert.Equal(Telemetry.ServiceInstance.FromMachineId(machineId), id);
        Assert.DoesNotContain(machineId[..12], id!.Replace("-", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    internal static void AssertConnectionAttributes(JsonElement span, ushort clientPort, ushort serverPort)
    {
        Assert.Equal("tcp.zero_window", span.GetProperty("name").GetString());
        Assert.Equal("tcp", OtlpJsonRead.Attribute(span, "network.transport"));
        Assert.Equal("ipv4", OtlpJsonRead.Attribute(span, "network.type"));
        Assert.Equal("127.0.0.1", OtlpJsonRead.Attribute(span, "network.local.address"));
        Assert.Equal(clientPort.ToString(), OtlpJsonRead.Attribute(span, "network.local.port"));
        Assert.Equal("127.0.0.1", OtlpJsonRead.Attribute(span, "network.peer.address"));
        Assert.Equal(serverPort.ToString(), OtlpJsonRead.Attribute(span, "network.peer.port"));
        Assert.Equal(Environment.ProcessId.ToString(), OtlpJsonRead.Attribute(span, "process.pid"));
        Assert.Equal(Path.GetFileName(new FileInfo("/proc/self/exe").LinkTarget), OtlpJsonRead.Attribute(span, "process.executable.name"));
        Assert.Equal(File.ReadAllText("/proc/self/comm").TrimEnd('\n'), OtlpJsonRead.Attribute(span, "process.command"));
        Assert.NotNull(OtlpJsonRead.Attribute(span, "tracer.tcp.advertised_window_max"));
    }

    private static JsonElement? EpisodeSpan(OtlpPeer peer, ushort clientPort)
    {
        foreach (var span in peer.Spans())
        {
            if (span.GetProperty("name").GetString() == "tcp.zero_window" && OtlpJsonRead.Attribute(span, "network.local.port") == clientPort.ToString())
            {
                return span;
            }
        }

        return null;
    }

    private static int Count(string text, string word) => text.Split(word).Length - 1;
}
