using System.Globalization;

namespace Tracer.Integration.Tests;

/// <summary>
/// A real Prometheus scrapes <c>tracer run --prometheus</c> through a real zero-window episode, a
/// real slab leak and a ghost listener; its query API must return Tracer's series with their labels
/// and values, every metric the shipped dashboard and alert rules name must be among those it
/// scraped, and the shipped rules evaluated there fire for the ghost.
/// </summary>
public sealed class PrometheusScrapeTests(PrometheusScrapeTests.Run run) : IClassFixture<PrometheusScrapeTests.Run>
{
    [KernelFact]
    public void AZeroWindowEpisodeReachesPrometheusWithItsLabelsAndDuration()
    {
        var s = run.Scenario;
        var episodes = Assert.Single(s.Prometheus.Query("tracer_tcp_zero_window_episodes_total"));
        Assert.Equal("tracer", episodes.Labels["job"]);
        Assert.Equal(s.Target, episodes.Labels["instance"]);
        Assert.Equal("Tracer", episodes.Labels["otel_scope_name"]);
        Assert.Equal("ipv4", episodes.Labels["network_type"]);
        Assert.Equal(1, episodes.Value);

        var count = Assert.Single(s.Prometheus.Query("tracer_tcp_zero_window_duration_seconds_count"));
        Assert.Equal("false", count.Labels["tracer_tcp_stuck"]);
        Assert.Equal(1, count.Value);
        var seconds = Assert.Single(s.Prometheus.Query("tracer_tcp_zero_window_duration_seconds_sum")).Value;
        Assert.InRange(seconds, s.Stall.TotalSeconds * 0.9, s.Stall.TotalSeconds * 1.1);
        Assert.Equal(1, Assert.Single(s.Prometheus.Query("tracer_tcp_zero_window_duration_seconds_bucket{le=\"+Inf\"}")).Value);

        var active = s.Prometheus.Query("tracer_tcp_zero_window_active");
        Assert.Equal(["false", "true"], active.Select(a => a.Labels["tracer_tcp_stuck"]).Order());
        Assert.All(active, a => Assert.Equal(0, a.Value));
        var end = Assert.Single(s.Prometheus.Query("tracer_findings_total{tracer_finding_kind=\"tcp.zero_window.end\"}"));
        Assert.Equal("info", end.Labels["tracer_finding_severity"]);
        Assert.Equal(1, end.Value);
    }

    [KernelFact]
    public void ASlabLeakReachesPrometheusAsGrowthOfItsCacheAndALeakSuspect()
    {
        var s = run.Scenario;
        var grown = Assert.Single(s.Prometheus.Query(
            "max_over_time(tracer_slab_object_count{tracer_slab_cache=\"sock_inode_cache\"}[5m]) - min_over_time(tracer_slab_object_count{tracer_slab_cache=\"sock_inode_cache\"}[5m])"));
        Assert.True(grown.Value >= s.LeakedSockets * 0.9, $"sock_inode_cache grew by {grown.Value} objects; {s.LeakedSockets} sockets were leaked");
        // 40 sockets every 100 ms
        var rate = Assert.Single(s.Prometheus.Query("max_over_time(tracer_slab_object_growth_per_second{tracer_slab_cache=\"sock_inode_cache\"}[5m])"));
        Assert.InRange(rate.Value, 200, 2000);
        Assert.Single(s.Prometheus.Query("tracer_slab_memory_usage_bytes{tracer_slab_cache=\"sock_inode_cache\"} > 0"));

        var suspect = Assert.Single(s.Prometheus.Query("tracer_findings_total{tracer_finding_kind=\"slab.leak_suspect\"}"));
        Assert.Equal("warning", suspect.Labels["tracer_finding_severity"]);
        Assert.Equal(1, Assert.Single(s.Prometheus.Query("max_over_time(tracer_overhead_slab_attribution[5m])")).Value);
        var sunreclaim = Assert.Single(s.Prometheus.Query("system_memory_linux_slab_usage_bytes"));
        Assert.Equal("unreclaimable", sunreclaim.Labels["system_memory_linux_slab_state"]);
        Assert.True(sunreclaim.Value > 0);
    }

    [KernelFact]
    public void AGhostListenersResetsReachPrometheusOnItsPortAndTheRuleFires()
    {
        var s = run.Scenario;
        var port = s.GhostPort.ToString(CultureInfo.InvariantCulture);
        var resets = Assert.Single(s.Prometheus.Query($"tracer_tcp_resets_total{{network_local_port=\"{port}\", tracer_tcp_reset_reason=\"listener_close\"}}"));
        Assert.Equal(s.GhostResets, resets.Value);
        Assert.Equal(1, Assert.Single(s.Prometheus.Query("tracer_findings_total{tracer_finding_kind=\"tcp.listener_reset\"}")).Value);
        var alert = Assert.Single(s.Prometheus.Query("ALERTS{alertname=\"TracerListenerClosedWithQueue\", alertstate=\"firing\"}"));
        Assert.Equal(port, alert.Labels["network_local_port"]);
    }

    [KernelFact]
    public void TheTargetIsTracerWithItsStableInstanceId()
    {
        var s = run.Scenario;
        Assert.Equal(1, Assert.Single(s.Prometheus.Query("up")).Value);
        var target = Assert.Single(s.Prometheus.Query("target_info"));
        Assert.Equal("tracer", target.Labels["service_name"]);
        Assert.Equal(Telemetry.ServiceInstance.Id, target.Labels["service_instance_id"]);
    }

    [KernelFact]
    public void EveryMetricTheDashboardQueriesIsOneTheEndpointExposes()
    {
        var s = run.Scenario;
        foreach (var query in DeployTests.DashboardQueries())
        {
            Assert.All(PromQl.MetricNames(query), name => Assert.True(s.Scraped.Contains(name), $"dashboard query {query} names {name}, which tracer run does not expose"));
            var evaluable = query.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$instance", ".+", StringComparison.Ordinal);
            Assert.Null(s.Prometheus.QueryError(evaluable));
        }
    }

    [KernelFact]
    public void EveryMetricTheAlertRulesQueryIsOneTheEndpointExposes()
    {
        var s = run.Scenario;
        var rules = s.Prometheus.RuleQueries();
        Assert.Equal(8, rules.Count);
        foreach (var query in rules)
        {
            Assert.All(PromQl.MetricNames(query), name => Assert.True(s.Scraped.Contains(name), $"alert rule {query} names {name}, which tracer run does not expose"));
        }
    }

    /// <summary>What the tests look at, made once: tracer, Prometheus, the episode and the leak.</summary>
    public sealed record Scenario(PrometheusServer Prometheus, string Target, TimeSpan Stall, int LeakedSockets, ushort GhostPort, int GhostResets, IReadOnlySet<string> Scraped);

    /// <summary>Runs the scenario on first use (the tests are skipped without a kernel to run it on) and stops it after the last test.</summary>
    public sealed class Run : IDisposable
    {
        private const string LeakComm = "promleak";

        private readonly Lazy<Scenario> scenario;
        private readonly DirectoryInfo dataDir = Directory.CreateTempSubdirectory("tracer-prometheus-run-");
        private RunTracerProcess? tracer;
        private PrometheusServer? prometheus;

        public Run() => scenario = new Lazy<Scenario>(Start);

        public Scenario Scenario => scenario.Value;

        public void Dispose()
        {
            if (tracer is { HasExited: false })
            {
                Signals.Send(tracer.Pid, Signals.SigTerm);
                tracer.Finish(TimeSpan.FromSeconds(30));
            }

            tracer?.Dispose();
            prometheus?.Dispose();
            dataDir.Delete(recursive: true);
        }

        private Scenario Start()
        {
            using var loopback = new Loopback();
            var target = $"127.0.0.1:{PrometheusServer.FreePort().ToString(CultureInfo.InvariantCulture)}";
            tracer = new RunTracerProcess(null, "run", "--prometheus", target, "--data-dir", dataDir.FullName,
                "--port", loopback.Port.ToString(CultureInfo.InvariantCulture), "--duration", "300");
            prometheus = new PrometheusServer(target, DeployTests.RulesFile);
            var (_, stall) = ZeroWindowEpisode.Make(loopback, TimeSpan.FromSeconds(3));

            var sockets = Math.Min(19_000, SlabWorkload.MaxHeld);
            using var leak = SlabWorkload.Grow(LeakComm, sockets);
            var scraped = OtlpPeer.WaitUntil(
                () => prometheus.Query("tracer_findings_total{tracer_finding_kind=\"slab.leak_suspect\"}").Count > 0
                    && prometheus.Query($"max_over_time(tracer_slab_object_count{{tracer_slab_cache=\"sock_inode_cache\"}}[5m]) - min_over_time(tracer_slab_object_count{{tracer_slab_cache=\"sock_inode_cache\"}}[5m]) >= {sockets * 0.9}").Count > 0,
                TimeSpan.FromSeconds(120));
            Assert.True(scraped, $"Prometheus did not see the leak of {sockets} sockets as a leak suspect; tracer said: {tracer.Stderr}");

            var (ghostPort, ghostResets) = GhostListener();
            var alerted = OtlpPeer.WaitUntil(() => prometheus.Query("ALERTS{alertname=\"TracerListenerClosedWithQueue\", alertstate=\"firing\"}").Count > 0, TimeSpan.FromSeconds(30));
            Assert.True(alerted, $"the ghost listener's {ghostResets} resets on port {ghostPort} did not fire the rule; tracer said: {tracer.Stderr}");
            Assert.False(tracer.HasExited, tracer.Stderr);
            return new Scenario(prometheus, target, stall, sockets, ghostPort, ghostResets, prometheus.MetricNames());
        }

        /// <summary>Incident 3: a listener joins a server's SO_REUSEPORT group and exits with clients queued; the resets its clients saw.</summary>
        private static (ushort Port, int Resets) GhostListener()
        {
            var port = Resets.Clients.FreePort();
            var goFile = Path.Combine(Path.GetTempPath(), $"tracer-prometheus-ghost-{Guid.NewGuid():N}");
            try
            {
                using var server = Resets.ListenerProcess.Serve(port);
                using var ghost = Resets.ListenerProcess.Ghost(port, goFile);
                var resets = Resets.Clients.ResetByExitOf(ghost, port, goFile);
                Assert.True(resets > 0, "no client landed on the ghost's listener");
                return (port, resets);
            }
            finally
            {
                File.Delete(goFile);
            }
        }
    }
}
