using System.CommandLine;
using System.Net.Sockets;
using Tracer.Analysis.Tcp;
using Tracer.Bpf.Owners;
using Tracer.Bpf.Tcp;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;

namespace Tracer.Cli.Commands;

/// <summary>The filters and mode options of the TCP tracer, shared by <c>tcp</c>, <c>record</c> and <c>run</c>.</summary>
public sealed class TcpOptions
{
    public Option<int?> Pid { get; } = TargetOptions.Pid("Only connections owned by this process");
    public Option<string?> Comm { get; } = TargetOptions.Comm("Only connections owned by processes with this command name");
    public Option<int?> Port { get; } = TargetOptions.Port("Only connections with this local or peer port");
    public Option<ulong?> Cgroup { get; } = new Option<ulong?>("--cgroup")
    {
        Description = "Only sockets of this cgroup v2 (a path, absolute or under /sys/fs/cgroup, or an id)",
        HelpName = "CGROUP",
    }.Reading(OptionValues.Cgroup);
    public Option<AddressFamily?> Family { get; } = new Option<AddressFamily?>("--family")
    {
        Description = "Only inet (IPv4) or inet6 (IPv6) connections",
        HelpName = "FAMILY",
    }.Reading(OptionValues.Family);
    public Option<bool> EverySegment { get; } = new("--every-segment") { Description = "One sample per incoming segment (ad-hoc debugging) instead of only the samples that matter" };
    public Option<double?> Duration { get; } = GlobalOptions.Duration();
    public Option<int?> MinZeroWindow { get; } = new Option<int?>("--min-zero-window")
    {
        Description = "Report zero-window episodes once they last this many milliseconds (default 200); shorter blips are only counted",
        HelpName = "MS",
    }.Reading(OptionValues.WholeNumber(0, int.MaxValue, "give 0 or more milliseconds"));

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Pid, Comm, Port, Cgroup, Family, EverySegment, Duration, MinZeroWindow })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The filters given, as on the command line ("--comm rsync --port 873"); "" for none.</summary>
    public string Describe(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return string.Join(' ', new Option[] { Pid, Comm, Port, Cgroup, Family, EverySegment }
            .Select(option => parsed.GetResult(option) is { Implicit: false } given ? $"{option.Name}{string.Concat(given.Tokens.Select(t => $" {t.Value}"))}" : null)
            .OfType<string>());
    }

    /// <summary>The trace options; their values were checked while parsing.</summary>
    public TcpTraceOptions Read(ParseResult parsed) => new()
    {
        EverySegment = parsed.GetValue(EverySegment),
        Filter = new TcpFilter
        {
            Pid = parsed.GetValue(Pid),
            Comm = parsed.GetValue(Comm),
            Port = parsed.GetValue(Port) is { } port ? (ushort)port : null,
            CgroupId = parsed.GetValue(Cgroup),
            Family = parsed.GetValue(Family),
        },
    };

    /// <summary>The engine's options for a live trace, with the analysis these options ask for.</summary>
    public EngineOptions Engine(ParseResult parsed) => new()
    {
        ContainerOf = pid => ProcCgroups.ContainerOf(pid),
        TcpAnalysis = parsed.GetValue(MinZeroWindow) is { } ms
            ? new TcpWindowAnalyzerOptions { ZeroWindowReportAfter = TimeSpan.FromMilliseconds(ms) }
            : new TcpWindowAnalyzerOptions(),
    };

}

/// <summary>The options that name what to watch, shared by the TCP filters and <c>tracer attach</c>.</summary>
public static class TargetOptions
{
    public static Option<int?> Pid(string description) =>
        new Option<int?>("--pid") { Description = description, HelpName = "PID" }.Reading(OptionValues.RunningProcess);

    public static Option<string?> Comm(string description) =>
        new Option<string?>("--comm") { Description = description, HelpName = "NAME" }.Reading(OptionValues.CommandName);

    public static Option<int?> Port(string description) =>
        new Option<int?>("--port") { Description = description, HelpName = "PORT" }.Reading(OptionValues.WholeNumber(1, 65535, "a port is 1 to 65535"));
}

/// <summary><c>tracer tcp</c>: live send-window analysis.</summary>
public static class TcpCommand
{
    public static Command Create()
    {
        var kernel = new KernelOptions();
        var tcp = new TcpOptions();
        var json = GlobalOptions.Json();
        var command = new Command("tcp", "Watch TCP send windows live: zero-window stalls, snd_wl1 lag, window updates the kernel ignores");
        kernel.AddTo(command);
        tcp.AddTo(command);
        command.Options.Add(json);
        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            var options = tcp.Read(parsed);
            var settings = kernel.Settings(parsed, logging);
            var logger = logging.CreateLogger("tcp");
            using var stop = new StopSignal(parsed.GetValue(tcp.Duration));
            var filter = options.Filter;
            using ITcpSampleSource source = filter.Pid is null && filter.Comm is null && filter.Port is null
                ? LiveTcpSource.Start(settings, options, logger)
                : SnapshotSeededSource.Start(settings, options, logger);
            using var view = Views.Connections("tracer tcp", parsed.GetValue(json), options.EverySegment);
            var result = new Engine(tcp.Engine(parsed), view.Sink, logger).Run(source, slab: null, stop);
            return result.Stuck > 0 ? ExitCodes.Stuck : ExitCodes.Ok;
        }));
        return command;
    }
}
