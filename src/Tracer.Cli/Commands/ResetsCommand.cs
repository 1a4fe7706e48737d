using System.CommandLine;
using Tracer.Analysis.Resets;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;

namespace Tracer.Cli.Commands;

/// <summary><c>tracer resets</c>: the RSTs this host sends, and the listener closes behind them (ghost SO_REUSEPORT listeners above all).</summary>
public static class ResetsCommand
{
    public const double DefaultIntervalSeconds = 10;

    public static Command Create()
    {
        var kernel = new KernelOptions();
        var json = GlobalOptions.Json();
        var duration = GlobalOptions.Duration();
        var port = TargetOptions.Port("Only this local port: listeners on it and the RSTs sent from it");
        var pid = TargetOptions.Pid("Only listeners this process owned or closed (per-reason counts are per port)");
        var comm = TargetOptions.Comm("Only listeners a process with this command name owned or closed");
        var interval = new Option<double?>("--interval")
        {
            Description = $"Seconds over which RSTs are counted per port and reason (default {DefaultIntervalSeconds})",
            HelpName = "SECONDS",
        }.Reading(OptionValues.Seconds(SlabCommand.MinIntervalSeconds, minAllowed: true, $"give at least {SlabCommand.MinIntervalSeconds} seconds"));
        var command = new Command("resets", "Watch the RSTs this host sends live: which listener's close reset its queued connections (ghost SO_REUSEPORT listeners), the rest counted by reason");
        kernel.AddTo(command);
        foreach (var option in new Option[] { port, pid, comm, interval, duration, json })
        {
            command.Options.Add(option);
        }

        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            var analysis = new ResetAnalyzerOptions
            {
                Port = parsed.GetValue(port) is { } p ? (ushort)p : null,
                Pid = parsed.GetValue(pid),
                Comm = parsed.GetValue(comm),
                SummaryInterval = TimeSpan.FromSeconds(parsed.GetValue(interval) ?? DefaultIntervalSeconds),
            };
            var settings = kernel.Settings(parsed, logging);
            var logger = logging.CreateLogger("resets");
            using var stop = new StopSignal(parsed.GetValue(duration));
            using var source = ResetSource.Start(settings, logger);
            using var view = Views.Findings(parsed.GetValue(json));
            new Engine(new EngineOptions { ResetAnalysis = analysis }, view.Sink, logger).Run(new EngineSources(Resets: source), stop);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
