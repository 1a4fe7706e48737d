using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Snapshot;
using Tracer.Bpf.Tcp;
using Tracer.Cli.Output;

namespace Tracer.Cli.Commands;

/// <summary>
/// <c>tracer attach</c>: the verdict on a stuck process from its sockets' state
/// right now (the tcp iterator), then confirmed live until the peer's answer
/// settles it, the timeout passes, or Ctrl-C.
/// </summary>
public static class AttachCommand
{
    /// <summary>Long enough for one zero-window probe at the 2-minute maximum backoff (TCP_RTO_MAX) and its answer.</summary>
    public const double DefaultTimeoutSeconds = 150;

    public static Command Create()
    {
        var kernel = new KernelOptions();
        var pid = TargetOptions.Pid("The process to attach to (all its threads; sockets found through its file descriptors)");
        var comm = TargetOptions.Comm("Every process with this command name");
        var port = TargetOptions.Port("Sockets with this local or peer port");
        var timeout = new Option<double?>("--timeout")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Stop watching live after this many seconds (default {DefaultTimeoutSeconds}: one persist probe at the maximum backoff); 0: the snapshot only"),
            HelpName = "SECONDS",
        }.Reading(OptionValues.Seconds(0, minAllowed: true, "give a number of seconds, 0 or more"));
        var json = GlobalOptions.Json();
        var command = new Command("attach", "The verdict on a stuck transfer within a second, from its sockets' current state, then confirmed live. Exit 3 when a connection is stuck")
        {
            pid, comm, port, timeout, json,
        };
        kernel.AddTo(command);
        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            var target = ReadTarget(parsed.GetValue(pid), parsed.GetValue(comm), parsed.GetValue(port));
            var seconds = parsed.GetValue(timeout) ?? DefaultTimeoutSeconds;
            var settings = kernel.Settings(parsed, logging);
            return Attach.Run(settings, target, seconds, parsed.GetValue(json), logging.CreateLogger("attach"));
        }));
        return command;
    }

    private static SnapshotTarget ReadTarget(int? pid, string? comm, int? port)
    {
        if (pid is null && comm is null && port is null)
        {
            throw new UsageError("attach to what? give --pid PID, --comm NAME or --port PORT");
        }

        return new SnapshotTarget(pid, comm, port is { } q ? (ushort)q : null);
    }
}

/// <summary>Snapshot → verdict → live confirmation; the exit status says whether a connection is stuck.</summary>
public static class Attach
{
    public static int Run(BpfSettings settings, SnapshotTarget target, double timeoutSeconds, bool json, ILogger logger)
    {
        var processes = target.Resolve();
        if (target.ByProcess && processes.Processes.Count == 0)
        {
            throw new UserError(target.Pid is { } gone
                ? (Directory.Exists($"/proc/{gone}") ? $"--pid {gone}: its command name is not {target.Comm}" : $"--pid {gone}: the process exited")
                : $"--comm {target.Comm}: no process has this command name");
        }

        var snapshot = TcpSnapshotReader.Take(settings, target, processes, logger);
        if (target.Pid is { } pid && !Directory.Exists($"/proc/{pid}"))
        {
            throw new UserError($"--pid {pid}: the process exited during the attach");
        }

        var judged = AttachReport.Judge(snapshot.Sockets);
        using var stdout = json ? StandardOutput.Open() : null;
        using var jsonOutput = stdout is null ? null : new JsonLinesOutput(stdout);
        if (stdout is not null)
        {
            using var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            AttachReport.WriteJson(writer, stdout, judged);
        }
        else
        {
            AttachReport.WriteText(Console.Out, target, processes, snapshot, judged);
        }

        var outcome = new SnapshotOutcome(jsonOutput ?? (IFindingSink)new TextOutput(Console.Out, Clock.ToWallClock));
        // the snapshot may date a zero window hours back: nothing is forgotten for being idle
        var analyzer = new TcpWindowAnalyzer(outcome, new TcpWindowAnalyzerOptions { IdleTimeout = TimeSpan.FromDays(365) });
        foreach (var j in judged)
        {
            foreach (var sample in j.Socket.ToSamples())
            {
                analyzer.Observe(sample);
            }

            if (j.Verdict.Problem == SnapshotProblem.Stuck)
            {
                outcome.PredictedStuck(j.Socket.Cookie);
            }
        }

        var watched = TimeSpan.Zero;
        if (!outcome.IsSettled && timeoutSeconds > 0)
        {
            var clock = Stopwatch.StartNew();
            WatchLive(settings, target, processes, judged, timeoutSeconds, analyzer, outcome, json, logger);
            watched = clock.Elapsed;
        }

        analyzer.Flush(Clock.MonotonicNowNsUnsigned);
        if (stdout is not null)
        {
            AttachReport.WriteVerdictJson(stdout, outcome, watched);
        }
        else
        {
            Console.Out.WriteLine(outcome.Summary(watched));
        }

        return outcome.Verdict == AttachVerdict.Stuck ? ExitCodes.Stuck : ExitCodes.Ok;
    }

    private static void WatchLive(
        BpfSettings settings, SnapshotTarget target, TargetProcesses processes, IReadOnlyList<JudgedSocket> judged,
        double timeoutSeconds, TcpWindowAnalyzer analyzer, SnapshotOutcome outcome, bool json, ILogger logger)
    {
        using var stop = new StopSignal(timeoutSeconds);
        if (!json)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"watching {outcome.Waiting.Count} zero-window connection(s) live until the peer answers (timeout {timeoutSeconds}s, Ctrl-C to stop) …"));
        }

        // the kernel filters by comm and port; pids are matched here, since a socket
        // shared by a parent and its child may be attributed to either
        var options = new TcpTraceOptions { Filter = new TcpFilter { Comm = target.Comm, Port = target.Port } };
        using var tracer = TcpWindowTracer.Start(settings, options, logger);
        var known = judged.Select(j => j.Socket.Cookie).ToHashSet();
        var pids = processes.Processes.Select(p => p.Pid).ToHashSet();

        void OnSample(in TcpSample sample)
        {
            if (known.Contains(sample.Cookie) || !target.ByProcess || pids.Contains(sample.Pid))
            {
                analyzer.Observe(sample);
            }
        }

        while (!stop.IsStopRequested && !outcome.IsSettled)
        {
            tracer.Poll(stop.PollTimeoutMs(100), OnSample);
        }

        tracer.Poll(0, OnSample);
    }
}
