using System.CommandLine;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Recording;
using Tracer.Bpf;
using Tracer.Output;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;

namespace Tracer.Cli.Commands;

/// <summary><c>tracer record -o FILE</c>: decoded samples to a versioned recording, for replay anywhere.</summary>
public static class RecordCommand
{
    public static Command Create()
    {
        var kernel = new KernelOptions();
        var tcp = new TcpOptions();
        var outputFile = new Option<FileInfo?>("--output", "-o") { Description = "The recording to write", HelpName = "FILE", Required = true }.Reading(OptionValues.NewFile);
        var command = new Command("record", "Record TCP send-window samples to a file that `tracer replay` analyzes later");
        kernel.AddTo(command);
        tcp.AddTo(command);
        command.Options.Add(outputFile);
        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            var options = tcp.Read(parsed);
            var settings = kernel.Settings(parsed, logging);
            var path = parsed.GetValue(outputFile)!.FullName;
            var logger = logging.CreateLogger("record");
            using var file = Create(path);
            // what the report of this recording says it was: the host, this tracer, the filters
            using var writer = new RecordingWriter(file, RecordingHeader.Capture(KernelSupport.KernelRelease) with
            {
                Host = Environment.MachineName,
                TracerVersion = typeof(RecordCommand).Assembly.GetName().Version?.ToString(3),
                Filters = tcp.Describe(parsed),
            });
            using var stop = new StopSignal(parsed.GetValue(tcp.Duration));
            using var source = LiveTcpSource.Start(settings, options, logger);
            using var view = Views.Connections("tracer record", json: false);
            var result = new Engine(tcp.Engine(parsed), new FindingFanOut(view.Sink, new RecordingOutput(writer)), logger).Run(source, slab: null, stop);
            writer.Flush();
            Console.Error.WriteLine($"tracer: {writer.SamplesWritten} samples written to {path}");
            return result.Stuck > 0 ? ExitCodes.Stuck : ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The recording, created before anything is attached; a path that cannot be written is a bad --output.</summary>
    private static FileStream Create(string path)
    {
        try
        {
            // a recording names hosts, ports and processes: readable by its owner only
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                Share = FileShare.Read,
                BufferSize = 1 << 16,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageError($"--output {path}: cannot write it ({e.Message.TrimEnd('.')})");
        }
    }
}
