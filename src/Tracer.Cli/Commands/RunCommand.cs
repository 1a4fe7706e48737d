using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Slab;
using Tracer.Bpf;
using Tracer.Bpf.Attach;
using Tracer.Bpf.Slab;
using Tracer.Cli.Output;
using Tracer.Interop;
using Tracer.Telemetry;

namespace Tracer.Cli.Commands;

/// <summary>
/// <c>tracer run</c>: the always-on job. TCP send-window analysis and slab tracking, every finding
/// exported as OpenTelemetry spans, metrics and logs (OTLP, or OTLP JSON files by default).
/// </summary>
public static class RunCommand
{
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
            Description = $"grpc or http/protobuf; default {TelemetrySettings.ProtocolVariable}, else grpc",
            HelpName = "PROTOCOL",
        }.Reading(OptionValues.OtlpProtocol);
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = "Where traces.jsonl, metrics.jsonl and logs.jsonl go when no OTLP endpoint is set (default /var/lib/tracer as root, else $XDG_STATE_HOME/tracer)",
            HelpName = "DIR",
        }.Reading(OptionValues.DirectoryPath);
        var noSlab = new Option<bool>("--no-slab") { Description = "TCP analysis only: do not track the slab allocator" };
        var sampleBudget = new Option<int?>("--sample-budget")
        {
            Description = $"Overhead control: above this many kernel samples/s, or on any drop, send only what verdicts rest on until the load passes (default {new OverheadOptions().SampleBudgetPerSecond:0}; 0 never steps down)",
            HelpName = "N",
        }.Reading(OptionValues.WholeNumber(0, 10_000_000, "give 0 (never step down) to 10000000 samples/s"));
        var command = new Command("run", "The main job: every detector on, always-on, findings exported as OpenTelemetry spans, metrics and logs");
        kernel.AddTo(command);
        tcp.AddTo(command);
        foreach (var option in new Option[] { endpoint, protocol, dataDir, noSlab, sampleBudget })
        {
            command.Options.Add(option);
        }

        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            TelemetrySettings telemetry;
            try
            {
                telemetry = TelemetrySettings.Resolve(parsed.GetValue(endpoint), parsed.GetValue(protocol), parsed.GetValue(dataDir), Environment.GetEnvironmentVariable);
            }
            catch (TelemetryConfigurationException e)
            {
                throw new UsageError(e.Message);
            }

            // overhead control keeps the sample rate low: a quarter of the interactive ring holds seconds of it
            var options = tcp.Read(parsed) with { RingBufferBytes = 1 << 20 };
            var settings = kernel.Settings(parsed, logging);
            var logger = logging.CreateLogger("run");
            var budget = parsed.GetValue(sampleBudget);
            var overhead = new OverheadOptions { SampleBudgetPerSecond = budget ?? new OverheadOptions().SampleBudgetPerSecond };
            return Run(settings, options, tcp, parsed, telemetry, slab: !parsed.GetValue(noSlab), overhead, logger);
        }));
        return command;
    }

    private static int Run(BpfSettings settings, Bpf.Tcp.TcpTraceOptions options, TcpOptions tcp, ParseResult parsed, TelemetrySettings telemetry, bool slab,
        OverheadOptions overhead, ILogger logger)
    {
        // signals are handled from here on: one during the slab attach still flushes and detaches
        using var stop = new StopSignal(parsed.GetValue(tcp.Duration));
        var terminal = !Console.IsOutputRedirected;
        using var pipeline = TelemetryPipeline.Start(telemetry, logger);
        if (!terminal)
        {
            Console.Error.WriteLine($"tracer run: telemetry to {telemetry.Destination}");
        }

        var sink = new TelemetrySink(pipeline.FindingLogger, Clock.ToWallClock);
        using var slabTracking = slab ? SlabTracking.Start(settings, sink, terminal ? null : Console.Out, logger) : null;

        void Housekeeping(Analysis.Tcp.TcpWindowAnalyzer analyzer, ulong nowNs, LoadState load) =>
            sink.Tick(analyzer.Connections, nowNs, load, slabTracking?.Observe(nowNs));

        var status = LiveTcp.Run(settings, options, tcp.Analysis(parsed), stop, json: false, "tracer run", logger,
            hooks: new LiveHooks(sink, Housekeeping), overhead: overhead);
        if (!pipeline.Flush(TimeSpan.FromSeconds(10)))
        {
            logger.LogWarning("telemetry export did not finish flushing within 10 s; what was still queued is lost");
        }

        if (pipeline.Health.Lost > 0)
        {
            logger.LogWarning("{Lost} telemetry items could not be delivered to {Destination}", pipeline.Health.Lost, telemetry.Destination);
        }

        // a stuck connection is a finding like any other here, exported; the job itself ended well
        return status == ExitCodes.Stuck ? ExitCodes.Ok : status;
    }

    /// <summary>The slab side of <c>run</c>: one snapshot per housekeeping tick, OOM kills as they come.</summary>
    private sealed class SlabTracking : IDisposable
    {
        /// <summary>Each sampled allocation costs a kernel stack walk (~5 µs here): always-on samples 16× sparser than <c>tracer slab</c>.</summary>
        private static readonly SlabTraceOptions AlwaysOnSlab = new() { SampleEvery = 1024 };

        private readonly SlabTracer tracer;
        private readonly SlabGrowthAnalyzer analyzer;
        private readonly ISlabFindingSink sink;

        private SlabTracking(SlabTracer tracer, ISlabFindingSink sink)
        {
            this.tracer = tracer;
            this.sink = sink;
            analyzer = new SlabGrowthAnalyzer(sink);
            analyzer.Observe(tracer.Snapshot(Clock.MonotonicNowNsUnsigned));
        }

        /// <summary>Starts slab tracking, or says why it cannot and returns null: TCP analysis goes on without it.</summary>
        public static SlabTracking? Start(BpfSettings settings, TelemetrySink telemetry, TextWriter? text, ILogger logger)
        {
            try
            {
                var tracer = SlabTracer.Start(settings, AlwaysOnSlab, logger);
                foreach (var choice in tracer.Choices)
                {
                    logger.LogDebug("{Choice}", choice);
                }

                return new SlabTracking(tracer, text is null ? telemetry : new SlabFanOut(telemetry, new SlabTextOutput(text, growth: false)));
            }
            catch (Exception e) when (e is BpfException or HookUnavailableException or NotSupportedException)
            {
                logger.LogWarning("slab tracking is off: {Reason}", e.Message);
                return null;
            }
        }

        public IReadOnlyList<SlabCacheGauge> Observe(ulong nowNs)
        {
            tracer.PollOom(0, victim => sink.Emit(analyzer.Oom(victim, tracer.Snapshot(Clock.MonotonicNowNsUnsigned))));
            var interval = tracer.Snapshot(nowNs);
            analyzer.Observe(interval);
            return SlabGauges.From(interval, analyzer.Caches);
        }

        public void Dispose() => tracer.Dispose();
    }

    private sealed class SlabFanOut(params ISlabFindingSink[] sinks) : ISlabFindingSink
    {
        public void Emit(SlabFinding finding)
        {
            foreach (var s in sinks)
            {
                s.Emit(finding);
            }
        }
    }
}
