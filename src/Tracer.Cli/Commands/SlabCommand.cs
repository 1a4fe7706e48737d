using System.CommandLine;
using Tracer.Analysis.Slab;
using Tracer.Bpf.Owners;
using Tracer.Bpf.Slab;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;

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
            var logger = logging.CreateLogger("slab");
            using var stop = new StopSignal(parsed.GetValue(duration));
            using var source = SlabSource.Start(settings, options, SlabAttribution.Always, logger);
            var verbose = parsed.Tokens.Any(t => t.Value is "-v" or "--verbose" or "-vv");
            using var view = Views.Slab(n, parsed.GetValue(json), growthLines: verbose);
            var engine = new EngineOptions
            {
                Housekeeping = TimeSpan.FromSeconds(seconds),
                SlabAnalysis = new SlabAnalyzerOptions { TopGrowth = n },
                ContainerOf = pid => ProcCgroups.ContainerOf(pid),
            };
            new Engine(engine, view.Sink, logger).Run(tcp: null, source, stop);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
