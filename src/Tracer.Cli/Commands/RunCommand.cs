using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Slab;
using Tracer.Bpf.Slab;
using Tracer.Output;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;
using Tracer.Telemetry;

namespace Tracer.Cli.Commands;

/// <summary>
/// <c>tracer run</c>: the always-on job. TCP send-window analysis, slab tracking and listener resets, every finding
/// exported as OpenTelemetry spans, metrics and logs (OTLP, or OTLP JSON files by default).
/// </summary>
public static class RunCommand
{
    /// <summary>Each sampled allocation costs a kernel stack walk (~5 µs here): always-on samples 16× sparser than <c>tracer slab</c>.</summary>
    private static readonly SlabTraceOptions AlwaysOnSlab = new() { SampleEvery = 1024 };

    /// <summary>
    /// The slab interval of the always-on job. Taking one (reading /proc/slabinfo, where the kernel walks
    /// every cache's partial list with interrupts off, then the analysis) is a burst of 1–4 ms on a CPU;
    /// unpinned, such bursts compete with the workload for its CPUs (docs/benchmarks.md). Every 5 s with
    /// one-interval windows keeps the leak rule's 15 s streak and its 32 objects per window.
    /// </summary>
    private static readonly TimeSpan SlabInterval = TimeSpan.FromSeconds(5);
    private const ulong FollowAfterBytes = 1 << 20;

    public static Command Create()
    {
        var kernel = new KernelOptions();
        var tcp = new TcpOptions();
        var endpoint = new Option<string?>("--otlp-endpoint")
        {
            Description = $"Export over OTLP to this URL (e.g. http://collector:4317); default {TelemetrySettings.EndpointVariable}, else OTLP JSON files in --data-dir",
            HelpName = "URL",
        }.Reading(OptionValues.OtlpEndpoint);
        var protocol = new Option<string?>("--otlp-protocol")
        {
            Description = $"grpc or http/protobuf; default {TelemetrySettings.ProtocolVariable}, else http/protobuf for an endpoint on port 4318, else grpc",
            HelpName = "PROTOCOL",
        }.Reading(OptionValues.OtlpProtocol);
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = "Where traces.jsonl, metrics.jsonl and logs.jsonl go when no OTLP endpoint is set (default /var/lib/tracer as root, else $XDG_STATE_HOME/tracer)",
            HelpName = "DIR",
        }.Reading(OptionValues.DirectoryPath);
        var prometheus = new Option<string?>("--prometheus")
        {
            Description = $"Also serve every metric for Prometheus to scrape at http://ADDR:PORT/metrics (e.g. 127.0.0.1:9464); default {TelemetrySettings.PrometheusVariable}, else off",
            HelpName = "ADDR:PORT",
        }.Reading(OptionValues.PrometheusAddress);
        var noSlab = new Option<bool>("--no-slab") { Description = "Do not track the slab allocator" };
        var noResets = new Option<bool>("--no-resets") { Description = "Do not track listeners and the RSTs this host sends" };
        var slabAttribution = new Option<SlabAttribution?>("--slab-attribution")
        {
            Description = "on-growth (default): watch caches in /proc/slabinfo and count and sample every allocation only while one grows; always: from the start",
            HelpName = "WHEN",
        }.Reading(OptionValues.SlabAttribution);
        var sampleBudget = new Option<int?>("--sample-budget")
        {
            Description = $"Overhead control: above this many kernel samples/s, or on any drop, send only what verdicts rest on until the load passes (default {new OverheadOptions().SampleBudgetPerSecond:0}; 0 never steps down)",
            HelpName = "N",
        }.Reading(OptionValues.WholeNumber(0, 10_000_000, "give 0 (never step down) to 10000000 samples/s"));
        var command = new Command("run", "The main job: every detector on, always-on, findings exported as OpenTelemetry spans, metrics and logs");
        kernel.AddTo(command);
        tcp.AddTo(command);
        foreach (var option in new Option[] { endpoint, protocol, dataDir, prometheus, noSlab, noResets, slabAttribution, sampleBudget })
        {
            command.Options.Add(option);
        }

        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            TelemetrySettings telemetry;
            try
            {
                telemetry = TelemetrySettings.Resolve(parsed.GetValue(endpoint), parsed.GetValue(protocol), parsed.GetValue(dataDir), Environment.GetEnvironmentVariable,
                    parsed.GetValue(prometheus));
            }
            catch (TelemetryConfigurationException e)
            {
                throw new UsageError(e.Message);
            }

            // overhead control keeps the sample rate low: a quarter of the interactive ring holds seconds of it.
            // Owners come from /proc unless a process filter needs them in the kernel from the first segment.
            // A connection is followed once it moved 1 MiB or its window closed: under connection churn
            // the short healthy ones cost a lookup each, not a state and a sample.
            var read = tcp.Read(parsed);
            var options = read with
            {
                RingBufferBytes = 1 << 20,
                OwnerHooks = read.Filter.Pid is not null || read.Filter.Comm is not null,
                FollowAfterBytes = FollowAfterBytes,
            };
            var settings = kernel.Settings(parsed, logging);
            var logger = logging.CreateLogger("run");
            var budget = parsed.GetValue(sampleBudget) ?? new OverheadOptions().SampleBudgetPerSecond;
            var engine = tcp.Engine(parsed) with
            {
                Overhead = new OverheadOptions { SampleBudgetPerSecond = budget },
                SlabInterval = SlabInterval,
                ReadDelay = null, // always on: woken by the programs and by housekeeping, not by a timer
                SlabAnalysis = new SlabAnalyzerOptions { WindowIntervals = 1 },
            };
            SlabAttribution? slab = parsed.GetValue(noSlab) ? null : parsed.GetValue(slabAttribution) ?? SlabAttribution.OnGrowth;

            // signals are handled from here on: one during the slab attach still flushes and detaches
            using var stop = new StopSignal(parsed.GetValue(tcp.Duration));
            using var pipeline = TelemetryPipeline.Start(telemetry, logger);
            using var slabSource = slab is { } when ? SlabSource.TryStart(settings, AlwaysOnSlab, when, logger) : null;
            using var resetSource = parsed.GetValue(noResets) ? null : ResetSource.TryStart(settings, logger);
            using var tcpSource = LiveTcpSource.Start(settings, options, logger);
            RunStatus.Banner(Console.Error, tcpSource.Choices.Concat(slabSource?.Choices ?? []).Concat(resetSource?.Choices ?? []), telemetry.Destination);
            var status = new RunStatus(Console.Error, terminal: !Console.IsErrorRedirected);
            var telemetrySink = new TelemetrySink(pipeline.FindingLogger, Clock.ToWallClock);
            IFindingSink sink = Console.IsOutputRedirected
                ? new FindingFanOut(telemetrySink, status, new TextOutput(Console.Out, Clock.ToWallClock))
                : new FindingFanOut(telemetrySink, status);
            new Engine(engine, sink, logger).Run(new EngineSources(tcpSource, slabSource, resetSource), stop);
            status.Summary();
            if (!pipeline.Flush(TimeSpan.FromSeconds(10)))
            {
                logger.LogWarning("telemetry export did not finish flushing within 10 s; what was still queued is lost");
            }

            if (pipeline.Health.Lost > 0)
            {
                logger.LogWarning("{Lost} telemetry items could not be delivered to {Destination}", pipeline.Health.Lost, telemetry.Destination);
            }

            // a stuck connection is a finding like any other here, exported; the job itself ended well
            return ExitCodes.Ok;
        }));
        return command;
    }
}
