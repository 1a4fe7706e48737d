using System.CommandLine;
using Tracer.Report;

namespace Tracer.Cli.Commands;

/// <summary><c>tracer report INPUT... -o FILE</c>: one self-contained HTML page with the charts of an incident.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "A recording (`tracer record`), JSON Lines samples, `tracer tcp --json` / `slab --json` output, an OTLP JSON file or `tracer run`'s data directory",
            Arity = ArgumentArity.OneOrMore,
        }.ReadingEach(OptionValues.ReportInput);
        var outputFile = new Option<FileInfo?>("--output", "-o") { Description = "The HTML file to write", HelpName = "FILE", Required = true }.Reading(OptionValues.NewFile);
        var command = new Command("report", "Write one self-contained HTML file (no network needed to open it) with time charts of each connection with findings, a table of all connections, slab growth, leak suspects and OOM kills")
        {
            inputs, outputFile,
        };
        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            var report = new ReportBuilder();
            foreach (var input in parsed.GetValue(inputs)!)
            {
                ReportInputs.Read(input, report, logging.CreateLogger("report"));
            }

            var path = parsed.GetValue(outputFile)!.FullName;
            ReportFile.Write(path, report);
            Console.Error.WriteLine($"tracer: report of {report.Inputs.Count} inputs written to {path}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
