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
        };
        var noSlab = new Option<bool>("--no-slab") { Description = "TCP analysis only: do not track the slab allocator" };
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
        foreach (var option in new Option[] { endpoint, protocol, dataDir, prometheus, noSlab, slabAttribution, sampleBudget })
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
            var read = tcp.Read(parsed);
            var options = read with { RingBufferBytes = 1 << 20, OwnerHooks = read.Filter.Pid is not null || read.Filter.Comm is not null };
            var settings = kernel.Settings(parsed, logging);
            var logger = logging.CreateLogger("run");
            var budget = parsed.GetValue(sampleBudget);
            var overhead = new OverheadOptions { SampleBudgetPerSecond = budget ?? new OverheadOptions().SampleBudgetPerSecond };
            SlabAttribution? slab = parsed.GetValue(noSlab) ? null : parsed.GetValue(slabAttribution) ?? SlabAttribution.OnGrowth;
            return Run(settings, options, tcp, parsed, telemetry, slab, overhead, logger);
        }));
        return command;
    }

    private static int Run(BpfSettings settings, Bpf.Tcp.TcpTraceOptions options, TcpOptions tcp, ParseResult parsed, TelemetrySettings telemetry, SlabAttribution? slab,
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
        using var slabTracking = slab is null ? null : SlabTracking.Start(settings, slab.Value, sink, terminal ? null : Console.Out, logger);

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

    /// <summary>
    /// The slab side of <c>run</c>: one snapshot per housekeeping tick, OOM kills as they come. On growth
    /// (the default), caches are watched through /proc/slabinfo and the per-object hooks are attached only
    /// while one of them keeps growing (<see cref="AttributionSwitch"/>).
    /// </summary>
    private sealed class SlabTracking : IDisposable
    {
        /// <summary>Each sampled allocation costs a kernel stack walk (~5 µs here): always-on samples 16× sparser than <c>tracer slab</c>.</summary>
        private static readonly SlabTraceOptions Attributing = new() { SampleEvery = 1024 };
        private static readonly SlabTraceOptions Watching = Attributing with { PerObject = false };

        private readonly BpfSettings settings;
        private readonly ISlabFindingSink sink;
        private readonly ILogger logger;
        private readonly SlabGrowthAnalyzer analyzer;
        private readonly AttributionSwitch? attribution;
        private SlabTracer tracer;

        private SlabTracking(BpfSettings settings, SlabTracer tracer, AttributionSwitch? attribution, ISlabFindingSink sink, ILogger logger)
        {
            this.settings = settings;
            this.tracer = tracer;
            this.attribution = attribution;
            this.sink = sink;
            this.logger = logger;
            analyzer = new SlabGrowthAnalyzer(sink);
            analyzer.Observe(tracer.Snapshot(Clock.MonotonicNowNsUnsigned));
        }

        /// <summary>Starts slab tracking, or says why it cannot and returns null: TCP analysis goes on without it.</summary>
        public static SlabTracking? Start(BpfSettings settings, SlabAttribution when, TelemetrySink telemetry, TextWriter? text, ILogger logger)
        {
            try
            {
                var always = when == SlabAttribution.Always;
                var tracer = Load(settings, always ? Attributing : Watching, logger);
                var sink = text is null ? (ISlabFindingSink)telemetry : new SlabFanOut(telemetry, new SlabTextOutput(text, growth: false));
                return new SlabTracking(settings, tracer, always ? null : new AttributionSwitch(), sink, logger);
            }
            catch (Exception e) when (e is BpfException or HookUnavailableException or NotSupportedException)
            {
                logger.LogWarning("slab tracking is off: {Reason}", e.Message);
                return null;
            }
        }

        public SlabTelemetry Observe(ulong nowNs)
        {
            tracer.PollOom(0, victim => sink.Emit(analyzer.Oom(victim, tracer.Snapshot(Clock.MonotonicNowNsUnsigned))));
            var interval = tracer.Snapshot(nowNs);
            analyzer.Observe(interval);
            if (attribution?.Observe(nowNs, analyzer.GrowingCaches) is { } step)
            {
                Switch(step);
            }

            return new SlabTelemetry(SlabGauges.From(interval, analyzer.Caches), tracer.PerObject);
        }

        public void Dispose() => tracer.Dispose();

        private static SlabTracer Load(BpfSettings settings, SlabTraceOptions options, ILogger logger)
        {
            var tracer = SlabTracer.Start(settings, options, logger);
            foreach (var choice in tracer.Choices)
            {
                logger.LogDebug("{Choice}", choice);
            }

            return tracer;
        }

        /// <summary>The new tracer is attached before the old one goes: no OOM kill falls between them.</summary>
        private void Switch(SlabAttributionFinding step)
        {
            SlabTracer next;
            try
            {
                next = Load(settings, step.On ? Attributing : Watching, logger);
            }
            catch (Exception e) when (e is BpfException or HookUnavailableException or NotSupportedException)
            {
                attribution!.Refused(step);
                logger.LogWarning("slab attribution stays {State}: switching it {Wanted} failed: {Reason}",
                    step.On ? "off" : "on", step.On ? "on" : "off", e.Message);
                return;
            }

            tracer.Dispose();
            tracer = next;
            sink.Emit(step);
        }
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

/// <summary>When <c>run</c> attaches the per-object slab hooks (<c>--slab-attribution</c>).</summary>
public enum SlabAttribution
{
    OnGrowth,
    Always,
}
