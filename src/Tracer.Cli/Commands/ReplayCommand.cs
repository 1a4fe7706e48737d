using System.CommandLine;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Analysis.Tcp;
using Tracer.Cli.Output;

namespace Tracer.Cli.Commands;

/// <summary><c>tracer replay FILE</c>: a recording or JSON Lines samples through the same analysis as <c>tracer tcp</c>.</summary>
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
        var command = new Command("replay", "Analyze a recording or a JSON Lines sample file, no kernel needed") { file, json, freezeWl1 };
        command.SetAction(parsed => CommandRunner.Run(parsed, _ =>
        {
            var path = parsed.GetValue(file)!;
            using var jsonOutput = parsed.GetValue(json) ? new JsonLinesOutput(StandardOutput.Open()) : null;
            using var source = SampleSource.Open(path.FullName);
            var header = source.Header;
            Func<ulong, DateTime> wallClock = header is null ? MonotonicOnly : ts => header.ToWallClock(ts).UtcDateTime;
            var tally = new FindingTally(jsonOutput ?? (IFindingSink)new TextOutput(Console.Out, wallClock));
            var analyzer = new TcpWindowAnalyzer(tally);
            ulong last = 0;
            try
            {
                var samples = parsed.GetValue(freezeWl1) ? Wl1Freezer.Freeze(source.ReadAll()) : source.ReadAll();
                foreach (var sample in samples)
                {
                    analyzer.Observe(sample);
                    last = sample.TimestampNs;
                }
            }
            finally
            {
                // findings up to a bad record are still printed before the error
                analyzer.Flush(last);
            }

            return tally.Stuck > 0 ? ExitCodes.Stuck : ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>JSON Lines carry monotonic times only: shown as time since boot.</summary>
    private static DateTime MonotonicOnly(ulong monotonicNs) => DateTime.MinValue.AddTicks((long)(monotonicNs / 100));
}
