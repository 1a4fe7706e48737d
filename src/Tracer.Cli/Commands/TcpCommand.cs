using System.CommandLine;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Tcp;
using Tracer.Cli.Output;
using Tracer.Interop;

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

    public TcpWindowAnalyzerOptions Analysis(ParseResult parsed) => new()
    {
        ZeroWindowReportAfter = parsed.GetValue(MinZeroWindow) is { } ms ? TimeSpan.FromMilliseconds(ms) : new TcpWindowAnalyzerOptions().ZeroWindowReportAfter,
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
            using var stop = new StopSignal(parsed.GetValue(tcp.Duration));
            return LiveTcp.Run(settings, options, tcp.Analysis(parsed), stop, parsed.GetValue(json), "tracer tcp", logging.CreateLogger("tcp"));
        }));
        return command;
    }
}

/// <summary>The live loop: kernel samples → analyzer → findings → the chosen output, until stopped.</summary>
public static class LiveTcp
{
    public static int Run(BpfSettings settings, TcpTraceOptions options, TcpWindowAnalyzerOptions analysis, StopSignal stop, bool json, string title, ILogger logger,
        Action<TcpSample>? tap = null, LiveHooks? hooks = null, OverheadOptions? overhead = null)
    {
        using var tracer = TcpWindowTracer.Start(settings, options, logger);
        foreach (var choice in tracer.Choices)
        {
            logger.LogDebug("{Choice}", choice);
        }

        ProcessMemory.ReleaseStartup();

        using var jsonOutput = json ? new JsonLinesOutput(StandardOutput.Open()) : null;
        using var live = !json && !Console.IsOutputRedirected ? new LiveView(Console.Out, title) : null;
        var output = jsonOutput ?? live ?? (IFindingSink)new TextOutput(Console.Out, Clock.ToWallClock);
        var tally = new FindingTally(hooks is null ? output : new FindingFanOut(output, hooks.Findings));
        var analyzer = new TcpWindowAnalyzer(tally, analysis);
        var governor = overhead is null ? null : new OverheadGovernor(tally, overhead);
        ulong samples = 0, reportedDrops = 0;
        var load = LoadState.Empty;
        var nextHousekeeping = Environment.TickCount64;

        void OnSample(in TcpSample sample)
        {
            samples++;
            if (options.EverySegment)
            {
                jsonOutput?.Sample(sample);
            }

            tap?.Invoke(sample);
            analyzer.Observe(sample);
        }

        void Housekeeping(ulong now)
        {
            load = tracer.Load(samples);
            if (governor?.Observe(now, load) == true)
            {
                tracer.Detail = governor.Level;
                load = load with { Level = governor.Level };
            }

            reportedDrops = ReportDrops(load, reportedDrops, jsonOutput, logger);
            hooks?.Housekeeping(analyzer, now, load);
        }

        while (!stop.IsStopRequested)
        {
            tracer.Poll(stop.PollTimeoutMs(100), OnSample);
            var now = Clock.MonotonicNowNsUnsigned;
            if (Environment.TickCount64 >= nextHousekeeping)
            {
                nextHousekeeping = Environment.TickCount64 + 1000;
                analyzer.Tick(now);
                analyzer.ExpireIdle(now);
                Housekeeping(now);
            }

            live?.Draw(analyzer, samples, load, now);
        }

        // drain what the kernel queued before detaching, then close open episodes
        tracer.Poll(0, OnSample);
        analyzer.Flush(Clock.MonotonicNowNsUnsigned);
        Housekeeping(Clock.MonotonicNowNsUnsigned);
        logger.LogInformation("{Samples} samples, {Dropped} dropped ({PerCpu}), {Suppressed} suppressed, {Short} zero-window blips under the report threshold",
            samples, load.Dropped, load.DroppedByCpu, load.Suppressed, analyzer.ShortEpisodes);
        return tally.Stuck > 0 ? ExitCodes.Stuck : ExitCodes.Ok;
    }

    private static ulong ReportDrops(LoadState load, ulong reported, JsonLinesOutput? json, ILogger logger)
    {
        var total = load.Dropped;
        if (total <= reported)
        {
            return reported;
        }

        if (json is not null)
        {
            json.Drops(total, total - reported, load.DroppedPerCpu);
        }
        else
        {
            logger.LogWarning("{Dropped} samples dropped by the kernel (buffer full; {PerCpu}); findings may be incomplete", total - reported, load.DroppedByCpu);
        }

        return total;
    }
}

public sealed record LiveHooks(IFindingSink Findings, Action<TcpWindowAnalyzer, ulong, LoadState> Housekeeping);

/// <summary>Hands each finding to every sink, in order.</summary>
public sealed class FindingFanOut(params IFindingSink[] sinks) : IFindingSink
{
    public void Emit(Finding finding)
    {
        foreach (var sink in sinks)
        {
            sink.Emit(finding);
        }
    }
}

/// <summary>Counts stuck verdicts on their way to the output (they decide the exit status).</summary>
public sealed class FindingTally(IFindingSink output) : IFindingSink
{
    public int Stuck { get; private set; }

    public void Emit(Finding finding)
    {
        if (finding.Kind == "tcp.stuck")
        {
            Stuck++;
        }

        output.Emit(finding);
    }
}
