using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Recording;
using Tracer.Bpf.Attach;
using Tracer.Interop;
using Tracer.Pipeline;
using Tracer.Report;

namespace Tracer.Cli.Commands;

/// <summary>Runs a command body and turns expected failures into one line on stderr and exit 1 (2 for a bad value).</summary>
public static class CommandRunner
{
    public static int Run(ParseResult parsed, Func<ILoggerFactory, int> body)
    {
        using var logging = GlobalOptions.Logging(parsed);
        try
        {
            return body(logging);
        }
        catch (UsageError e)
        {
            Console.Error.WriteLine($"tracer: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is UserError or TraceTargetException or BpfException or HookUnavailableException or ReplayFormatException or ReportInputException
                                       or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            logging.CreateLogger("tracer").LogDebug(e, "failed");
            Console.Error.WriteLine($"tracer: {e.Message}");
            return ExitCodes.Error;
        }
    }
}
