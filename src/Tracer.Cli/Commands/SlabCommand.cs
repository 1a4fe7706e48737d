using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Slab;
using Tracer.Bpf;
using Tracer.Bpf.Slab;
using Tracer.Cli.Output;

namespace Tracer.Cli.Commands;

/// <summary><c>tracer slab</c>: per-cache growth, leak suspects with the stacks and commands behind them, OOM kills.</summary>
public static class SlabCommand
{
    public const double MinIntervalSeconds = 0.1;
    public const double DefaultIntervalSeconds = 1;
    public const int DefaultTop = 10;

    public static Command Create()
    {
        var kernel = new KernelOptions();
        var json = GlobalOptions.Json();
        var duration = GlobalOptions.Duration();
        var interval = new Option<double?>("--interval")
        {
            Description = "Seconds per interval: counters are read and growth judged once per interval (at least 0.1; default 1)",
            HelpName = "SECONDS",
        }.Reading(OptionValues.Seconds(MinIntervalSeconds, minAllowed: true, $"give at least {MinIntervalSeconds} seconds (the counters are read by walking kernel maps)"));
        var top = new Option<int?>("--top")
        {
            Description = $"Caches shown in the live view and slab.growth findings per interval (default {DefaultTop})",
            HelpName = "N",
        }.Reading(OptionValues.WholeNumber(1, int.MaxValue, "give a positive number of caches"));
        var sample = new Option<int?>("--sample")
        {
            Description = $"Remember one allocation in N for attribution (stack, pid, comm, age); 1 = every allocation (default {new SlabTraceOptions().SampleEvery})",
            HelpName = "N",
        }.Reading(OptionValues.WholeNumber(1, int.MaxValue, "give a positive N (1 samples every allocation)"));
        var command = new Command("slab", "Watch the kernel's slab caches live: growth per cache, leak suspects with the stacks and commands behind them, OOM kills");
        kernel.AddTo(command);
        foreach (var option in new Option[] { interval, duration, top, sample, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            var seconds = parsed.GetValue(interval) ?? DefaultIntervalSeconds;
            var n = parsed.GetValue(top) ?? DefaultTop;
            var options = parsed.GetValue(sample) is { } every ? new SlabTraceOptions { SampleEvery = (uint)every } : new SlabTraceOptions();
            var settings = kernel.Settings(parsed, logging);
            return LiveSlab.Run(settings, options, TimeSpan.FromSeconds(seconds), n, parsed.GetValue(duration),
                parsed.GetValue(json), parsed.Tokens.Any(t => t.Value is "-v" or "--verbose" or "-vv"), logging.CreateLogger("slab"));
        }));
        return command;
    }
}

/// <summary>The live loop: one snapshot per interval → analyzer → findings → the chosen output, OOM kills as they come.</summary>
public static class LiveSlab
{
    public static int Run(BpfSettings settings, SlabTraceOptions options, TimeSpan interval, int top, double? duration, bool json, bool verbose, ILogger logger)
    {
        using var stop = new StopSignal(duration);
        using var tracer = SlabTracer.Start(settings, options, logger);
        foreach (var choice in tracer.Choices)
        {
            logger.LogDebug("{Choice}", choice);
        }

        foreach (var note in SlabComponent.ReducedModes(tracer.Choices))
        {
            logger.LogDebug("{Note}", note);
        }

        using var jsonOutput = json ? new JsonLinesOutput(StandardOutput.Open()) : null;
        using var live = !json && !Console.IsOutputRedirected ? new SlabLiveView(Console.Out, top) : null;
        ISlabFindingSink sink = jsonOutput ?? live ?? (ISlabFindingSink)new SlabTextOutput(Console.Out, growth: verbose);
        var analyzer = new SlabGrowthAnalyzer(sink, new SlabAnalyzerOptions { TopGrowth = top });
        analyzer.Observe(tracer.Snapshot(Clock.MonotonicNowNsUnsigned));
        var intervalMs = (long)interval.TotalMilliseconds;
        var nextSnapshot = Environment.TickCount64 + intervalMs;
        ulong reportedFull = 0;

        void OnOom(OomVictim victim) => sink.Emit(analyzer.Oom(victim, tracer.Snapshot(Clock.MonotonicNowNsUnsigned)));

        while (!stop.IsStopRequested)
        {
            var wait = (int)Math.Clamp(nextSnapshot - Environment.TickCount64, 0, 100);
            tracer.PollOom(stop.PollTimeoutMs(wait), OnOom);
            if (Environment.TickCount64 < nextSnapshot)
            {
                continue;
            }

            nextSnapshot += intervalMs;
            analyzer.Observe(tracer.Snapshot(Clock.MonotonicNowNsUnsigned));
            var full = tracer.AttributionFull;
            if (full > reportedFull && live is null)
            {
                logger.LogWarning("attribution table full: {Refused} sampled allocations were not remembered (counts are unaffected); raise --sample", full - reportedFull);
            }

            reportedFull = full;
            live?.Draw(analyzer, full);
        }

        tracer.PollOom(0, OnOom);
        return ExitCodes.Ok;
    }
}
