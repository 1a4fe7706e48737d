using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tracer.Bpf;
using Tracer.Bpf.Attach;

namespace Tracer.Cli;

/// <summary>Options every kernel-facing command shares.</summary>
public static class GlobalOptions
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show what the loader does and libbpf's own messages (repeat, -vv, for libbpf debug output)",
        Recursive = true,
        Arity = ArgumentArity.Zero,
        AllowMultipleArgumentsPerToken = true,
    };

    public static Option<FileInfo?> Btf() => new Option<FileInfo?>("--btf")
    {
        Description = "External BTF file for a kernel without /sys/kernel/btf/vmlinux (libbpf's btf_custom_path)",
        HelpName = "FILE",
    }.Reading(OptionValues.BtfFile);

    public static Option<AttachMethod?> Attach() => new Option<AttachMethod?>("--attach")
    {
        Description = $"Force one attach method for every hook that offers it ({AttachMethodNames.AllLabels}); default: the best that works. Also TRACER_ATTACH",
        HelpName = "METHOD",
    }.Reading(OptionValues.AttachMethodName);

    public static Option<Bpf.Transport?> Transport() => new Option<Bpf.Transport?>("--transport")
    {
        Description = "Force the event transport (ringbuf, perfbuf); default: ring buffer when the kernel has one. Also TRACER_TRANSPORT",
        HelpName = "KIND",
    }.Reading(OptionValues.TransportName);

    public static Option<double?> Duration() => new Option<double?>("--duration")
    {
        Description = "Stop cleanly after this many seconds (default: until Ctrl-C or SIGTERM)",
        HelpName = "SECONDS",
    }.Reading(OptionValues.Seconds(0, minAllowed: false, "give a positive number of seconds"));

    public static Option<bool> Json() => new("--json")
    {
        Description = "One JSON object per line on stdout instead of the terminal view",
    };

    public static ILoggerFactory Logging(ParseResult parsed)
    {
        var verbosity = parsed.Tokens.Count(t => t.Value is "-v" or "--verbose") + parsed.Tokens.Count(t => t.Value == "-vv") * 2;
        var level = verbosity switch
        {
            0 => LogLevel.Warning,
            1 => LogLevel.Debug,
            _ => LogLevel.Trace,
        };
        // under systemd (JOURNAL_STREAM set) lines carry syslog priority prefixes, so the journal keeps each level
        var journal = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 };
        return LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(level);
            if (journal)
            {
                builder.AddSystemdConsole(o => o.IncludeScopes = false);
            }
            else
            {
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.IncludeScopes = false;
                });
            }

            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
    }
}
