using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Tcp;
using Tracer.Cli.Output;
using Tracer.Interop;

namespace Tracer.Cli.Commands;

/// <summary>The filters and mode options of the TCP tracer, shared by <c>tcp</c>, <c>record</c> and <c>run</c>.</summary>
public sealed class TcpOptions
{
    public Option<int?> Pid { get; } = new("--pid") { Description = "Only connections owned by this process", HelpName = "PID" };
    public Option<string> Comm { get; } = new("--comm") { Description = "Only connections owned by processes with this command name", HelpName = "NAME" };
    public Option<int?> Port { get; } = new("--port") { Description = "Only connections with this local or peer port", HelpName = "PORT" };
    public Option<string> Cgroup { get; } = new("--cgroup") { Description = "Only sockets of this cgroup v2 (a path, absolute or under /sys/fs/cgroup, or an id)", HelpName = "CGROUP" };
    public Option<string> Family { get; } = new("--family") { Description = "Only inet (IPv4) or inet6 (IPv6) connections", HelpName = "FAMILY" };
    public Option<bool> EverySegment { get; } = new("--every-segment") { Description = "One sample per incoming segment (ad-hoc debugging) instead of only the samples that matter" };
    public Option<double?> Duration { get; } = GlobalOptions.Duration();
    public Option<int?> MinZeroWindow { get; } = new("--min-zero-window")
    {
        Description = "Report zero-window episodes once they last this many milliseconds (default 200); shorter blips are only counted",
        HelpName = "MS",
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Pid, Comm, Port, Cgroup, Family, EverySegment, Duration, MinZeroWindow })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Validated trace options; out-of-range or unknown values are a <see cref="UserError"/>.</summary>
    public TcpTraceOptions Read(ParseResult parsed)
    {
        var pid = parsed.GetValue(Pid);
        if (pid is { } p && (p <= 0 || !Directory.Exists($"/proc/{p}")))
        {
            throw new UserError($"--pid {p}: no such process");
        }

        var port = parsed.GetValue(Port);
        if (port is { } n && n is < 1 or > 65535)
        {
            throw new UserError($"--port {n}: a port is 1 to 65535");
        }

        var comm = parsed.GetValue(Comm);
        if (comm is { Length: 0 })
        {
            throw new UserError("--comm: the command name is empty");
        }

        var duration = parsed.GetValue(Duration);
        if (duration is { } d && (d <= 0 || double.IsNaN(d) || double.IsInfinity(d)))
        {
            throw new UserError($"--duration {d}: give a positive number of seconds");
        }

        if (parsed.GetValue(MinZeroWindow) is < 0 and var ms)
        {
            throw new UserError($"--min-zero-window {ms}: give 0 or more milliseconds");
        }

        return new TcpTraceOptions
        {
            EverySegment = parsed.GetValue(EverySegment),
            Filter = new TcpFilter
            {
                Pid = pid,
                Comm = comm,
                Port = port is { } q ? (ushort)q : null,
                CgroupId = ReadCgroup(parsed.GetValue(Cgroup)),
                Family = parsed.GetValue(Family) switch
                {
                    null => null,
                    "inet" or "ipv4" or "4" => AddressFamily.InterNetwork,
                    "inet6" or "ipv6" or "6" => AddressFamily.InterNetworkV6,
                    var other => throw new UserError($"--family {other}: use inet or inet6"),
                },
            },
        };
    }

    public TcpWindowAnalyzerOptions Analysis(ParseResult parsed) => new()
    {
        ZeroWindowReportAfter = parsed.GetValue(MinZeroWindow) is { } ms ? TimeSpan.FromMilliseconds(ms) : new TcpWindowAnalyzerOptions().ZeroWindowReportAfter,
    };

    private static ulong? ReadCgroup(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return id;
        }

        var root = KernelFs.Cgroup2Root ?? throw new UserError($"--cgroup {text}: no cgroup v2 hierarchy is mounted");
        var path = Path.GetFullPath(Path.IsPathRooted(text) ? text : Path.Combine(root, text));
        if (!path.StartsWith(root, StringComparison.Ordinal) || !Directory.Exists(path))
        {
            throw new UserError($"--cgroup {text}: no cgroup v2 directory {path} (cgroup v2 is mounted at {root})");
        }

        return KernelFs.Inode(path);
    }
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
    public static int Run(BpfSettings settings, TcpTraceOptions options, TcpWindowAnalyzerOptions analysis, StopSignal stop, bool json, string title, ILogger logger, Action<TcpSample>? tap = null, LiveHooks? hooks = null)
    {
        using var tracer = TcpWindowTracer.Start(settings, options, logger);
        foreach (var choice in tracer.Choices)
        {
            logger.LogDebug("{Choice}", choice);
        }

        using var jsonOutput = json ? new JsonLinesOutput(StandardOutput.Open()) : null;
        using var live = !json && !Console.IsOutputRedirected ? new LiveView(Console.Out, title) : null;
        var output = jsonOutput ?? live ?? (IFindingSink)new TextOutput(Console.Out, Clock.ToWallClock);
        var tally = new FindingTally(hooks is null ? output : new FindingFanOut(output, hooks.Findings));
        var analyzer = new TcpWindowAnalyzer(tally, analysis);
        ulong samples = 0, reportedDrops = 0;
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

        while (!stop.IsStopRequested)
        {
            tracer.Poll(stop.PollTimeoutMs(100), OnSample);
            var now = Clock.MonotonicNowNsUnsigned;
            if (Environment.TickCount64 >= nextHousekeeping)
            {
                nextHousekeeping = Environment.TickCount64 + 1000;
                analyzer.Tick(now);
                analyzer.ExpireIdle(now);
                reportedDrops = ReportDrops(tracer.Dropped, reportedDrops, jsonOutput, logger);
                hooks?.Housekeeping(analyzer, now, samples, tracer.Dropped);
            }

            live?.Draw(analyzer, samples, tracer.Dropped, now);
        }

        // drain what the kernel queued before detaching, then close open episodes
        tracer.Poll(0, OnSample);
        analyzer.Flush(Clock.MonotonicNowNsUnsigned);
        reportedDrops = ReportDrops(tracer.Dropped, reportedDrops, jsonOutput, logger);
        hooks?.Housekeeping(analyzer, Clock.MonotonicNowNsUnsigned, samples, tracer.Dropped);
        logger.LogInformation("{Samples} samples, {Dropped} dropped, {Short} zero-window blips under the report threshold", samples, reportedDrops, analyzer.ShortEpisodes);
        return tally.Stuck > 0 ? ExitCodes.Stuck : ExitCodes.Ok;
    }

    private static ulong ReportDrops(ulong total, ulong reported, JsonLinesOutput? json, ILogger logger)
    {
        if (total <= reported)
        {
            return reported;
        }

        if (json is not null)
        {
            json.Drops(total, total - reported);
        }
        else
        {
            logger.LogWarning("{Dropped} samples dropped by the kernel (buffer full); findings may be incomplete", total - reported);
        }

        return total;
    }
}

/// <summary>More consumers of the live loop (<c>tracer run</c>): every finding, and a call once per housekeeping tick and at the end.</summary>
public sealed record LiveHooks(IFindingSink Findings, Action<TcpWindowAnalyzer, ulong, ulong, ulong> Housekeeping);

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
