using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Tcp;
using Tracer.Bpf;
using Tracer.Bpf.Snapshot;
using Tracer.Output;
using Tracer.Pipeline;
using Tracer.Telemetry;

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

    /// <summary>How far back <c>--port</c> looks in tracer run's records for listener resets.</summary>
    public static readonly TimeSpan RecentResets = TimeSpan.FromHours(1);

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
        var records = new Option<string?>("--records")
        {
            Description = "With --port: tracer run's data directory, whose records of the port's listener resets in the last hour are shown (default: run's, $STATE_DIRECTORY or /var/lib/tracer)",
            HelpName = "DIR",
        }.Reading(OptionValues.ExistingDirectory);
        var json = GlobalOptions.Json();
        var command = new Command("attach", "The verdict on a stuck transfer within a second, from its sockets' current state, then confirmed live. Exit 3 when a connection is stuck")
        {
            pid, comm, port, timeout, records, json,
        };
        kernel.AddTo(command);
        command.SetAction(parsed => CommandRunner.Run(parsed, logging =>
        {
            var target = ReadTarget(parsed.GetValue(pid), parsed.GetValue(comm), parsed.GetValue(port));
            var seconds = parsed.GetValue(timeout) ?? DefaultTimeoutSeconds;
            var settings = kernel.Settings(parsed, logging);
            var recordsDirectory = parsed.GetValue(records) ?? TelemetrySettings.DefaultDataDirectory(Environment.GetEnvironmentVariable);
            return Run(settings, target, seconds, recordsDirectory, parsed.GetValue(json), logging.CreateLogger("attach"));
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

    private static int Run(BpfSettings settings, SnapshotTarget target, double timeoutSeconds, string recordsDirectory, bool json, ILogger logger)
    {
        var snapshot = Attach.Snapshot(settings, target, logger);
        using var stdout = json ? StandardOutput.Open() : null;
        using var jsonOutput = stdout is null ? null : new JsonLinesOutput(stdout, Clock.ToWallClock);
        var recent = target.Port is { } port ? RecentListenerResets(recordsDirectory, port) : [];
        if (stdout is not null)
        {
            AttachReport.WriteJson(stdout, snapshot);
            AttachReport.WriteRecentJson(stdout, target.Port ?? 0, recent);
        }
        else
        {
            AttachReport.WriteText(Console.Out, snapshot);
            AttachReport.WriteRecentText(Console.Out, target.Port ?? 0, recordsDirectory, RecentResets, recent);
        }

        void BeforeLive(LiveWatch watch) => Console.Out.WriteLine(AttachReport.WatchLine(watch, timeoutSeconds));

        using var stop = new StopSignal(timeoutSeconds);
        var output = jsonOutput ?? (IFindingSink)new TextOutput(Console.Out, Clock.ToWallClock);
        var result = Attach.Confirm(snapshot, settings, stop, watchLive: timeoutSeconds > 0, output, json ? null : BeforeLive, logger);
        if (stdout is not null)
        {
            AttachReport.WriteVerdictJson(stdout, result);
        }
        else
        {
            Console.Out.WriteLine(result.Summary);
        }

        return result.IsStuck ? ExitCodes.Stuck : ExitCodes.Ok;
    }

    /// <summary>The port's listener resets that tracer run recorded in the last hour (a ghost listener comes and goes between attaches).</summary>
    private static List<(DateTime Utc, string Message)> RecentListenerResets(string dataDirectory, ushort port) =>
        RecordedFindings.Read(dataDirectory, FindingKind.ListenerReset.Name, DateTimeOffset.UtcNow - RecentResets)
            .Where(r => r.Attributes.TryGetValue(Fields.Port.Attribute, out var p) && p == port.ToString(CultureInfo.InvariantCulture))
            .Select(r => (r.Time.UtcDateTime, r.Message))
            .ToList();
}
