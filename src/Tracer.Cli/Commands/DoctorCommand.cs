using System.CommandLine;
using System.Text.Json;
using Tracer.Bpf;
using Tracer.Output;

namespace Tracer.Cli.Commands;

/// <summary><c>tracer doctor</c>: what this kernel allows, found by trying.</summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var kernel = new KernelOptions();
        var json = GlobalOptions.Json();
        var command = new Command("doctor", "Report the kernel's BPF support and, for every hook, the attach method chosen and why better ones were refused");
        kernel.AddTo(command);
        command.Options.Add(json);
        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            var settings = kernel.Settings(parsed, logging);
            var report = DoctorReport.Run(settings, logging.CreateLogger("doctor"));
            if (parsed.GetValue(json))
            {
                using var stdout = StandardOutput.Open();
                using (var writer = new Utf8JsonWriter(stdout))
                {
                    DoctorOutput.WriteJson(writer, report);
                }

                stdout.WriteByte((byte)'\n');
            }
            else
            {
                foreach (var line in DoctorOutput.Lines(report))
                {
                    Console.WriteLine(line);
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
