using System.CommandLine;
using System.CommandLine.Parsing;
using Tracer.Cli.Commands;
using Tracer.Output;

namespace Tracer.Cli;

/// <summary>The <c>tracer</c> command line: parsing, dispatch and exit codes.</summary>
public static class Cli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = CreateRoot();
        var flagValues = OptionValues.FlagsGivenValues(root, args).ToList();
        foreach (var error in flagValues)
        {
            Console.Error.WriteLine($"tracer: {error}");
        }

        if (flagValues.Count > 0)
        {
            return ExitCodes.Usage;
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return Usage(parsed);
        }

        try
        {
            // every command turns its own failures into one line; what is left here is help output that could not be written
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (StandardOutputException e)
        {
            Console.Error.WriteLine($"tracer: {e.Message}");
            return ExitCodes.Error;
        }
    }

    /// <summary>Every command and option of <c>tracer</c>.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("Tracer: live kernel tracing of TCP send windows and slab growth, with verdicts.")
        {
            DoctorCommand.Create(),
            TcpCommand.Create(),
            RecordCommand.Create(),
            ReplayCommand.Create(),
            ReportCommand.Create(),
            AttachCommand.Create(),
            SlabCommand.Create(),
            ResetsCommand.Create(),
            RunCommand.Create(),
        };
        root.Options.Add(GlobalOptions.Verbose);
        return root;
    }

    /// <summary>
    /// Bad values: one line each on stderr, exit 2. Unknown commands or options, missing values:
    /// the errors and then the usage on stderr, exit 2.
    /// </summary>
    private static int Usage(ParseResult parsed)
    {
        foreach (var error in parsed.Errors)
        {
            Console.Error.WriteLine($"tracer: {error.Message}");
        }

        if (parsed.Errors.All(OptionValues.IsRefusedValue))
        {
            return ExitCodes.Usage;
        }

        var commandPath = new List<string>();
        for (var result = parsed.CommandResult; result is not null && result.Command is not RootCommand; result = result.Parent as CommandResult)
        {
            commandPath.Insert(0, result.Command.Name);
        }

        commandPath.Add("--help");
        parsed.RootCommandResult.Command.Parse(commandPath).Invoke(new InvocationConfiguration { Output = Console.Error });
        return ExitCodes.Usage;
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int Stuck = 3;
}
