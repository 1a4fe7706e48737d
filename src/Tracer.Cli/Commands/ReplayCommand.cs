using System.CommandLine;
using Tracer.Analysis.Formatting;
using Tracer.Output;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;

namespace Tracer.Cli.Commands;

/// <summary><c>tracer replay FILE</c>: a recording or JSON Lines samples through the same engine as <c>tracer tcp</c>.</summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo?>("FILE") { Description = "A recording from `tracer record`, or JSON Lines samples (docs/replay-format.md)" }.Reading(OptionValues.ReplayFile);
        var json = GlobalOptions.Json();
        var freezeWl1 = new Option<bool>("--freeze-wl1")
        {
            Description = "What-if: replay as a kernel with the pre-5.10 bulk-receiver fast-path bug (snd_wl1 never moves; fixed by 18ded910b589) would have behaved",
        };
        var command = new Command("replay", "Analyze a recording or a JSON Lines sample file, no kernel needed. Exit 3 when a connection is stuck, 1 when the file holds no samples")
        {
            file, json, freezeWl1,
        };
        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            var path = parsed.GetValue(file)!.FullName;
            using var source = FileTcpSource.Open(path, parsed.GetValue(freezeWl1));
            using var stdout = parsed.GetValue(json) ? new JsonLinesOutput(StandardOutput.Open(), source.WallClock) : null;
            using var stop = new StopSignal(null);
            var sink = stdout ?? (Analysis.Findings.IFindingSink)new TextOutput(Console.Out, ts => Timestamps.SinceStart(ts, source.StartNs));
            var result = new Engine(new EngineOptions(), sink, logging.CreateLogger("replay")).Run(source, slab: null, stop);
            if (result.Samples == 0)
            {
                throw new UserError($"{path}: no samples");
            }

            return result.Stuck > 0 ? ExitCodes.Stuck : ExitCodes.Ok;
        }));
        return command;
    }
}
