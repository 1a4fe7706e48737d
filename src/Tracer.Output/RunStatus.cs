using System.Diagnostics;
using System.Globalization;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;
using Tracer.Bpf.Attach;
using Tracer.Pipeline;

namespace Tracer.Output;

/// <summary>
/// <c>tracer run</c>'s account of itself on standard error: a banner at the start (hooks and the
/// attach method of each, where telemetry goes, how to stop), a status line (rewritten in place on
/// a terminal every tick; one line a minute in a journal or a pipe), a summary at the end.
/// </summary>
public sealed class RunStatus : IFindingSink
{
    private static readonly TimeSpan JournalPeriod = TimeSpan.FromMinutes(1);

    private readonly TextWriter stderr;
    private readonly bool terminal;
    private readonly TimeProvider clock;
    private readonly Dictionary<FindingKind, int> findings = [];
    private readonly long started;
    private long lastLine;
    private TimeSpan lastCpu = Process.GetCurrentProcess().TotalProcessorTime;
    private long lastCpuAt;
    private string line = "starting";

    public RunStatus(TextWriter stderr, bool terminal, TimeProvider? time = null)
    {
        this.stderr = stderr;
        this.terminal = terminal;
        clock = time ?? TimeProvider.System;
        started = lastLine = lastCpuAt = clock.GetTimestamp();
    }

    public static void Banner(TextWriter stderr, IEnumerable<HookChoice> hooks, string destination)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(hooks);
        var version = typeof(RunStatus).Assembly.GetName().Version?.ToString(3) ?? "?";
        stderr.WriteLine($"tracer run {version}: always-on TCP send-window analysis and slab tracking");
        foreach (var hook in hooks)
        {
            stderr.WriteLine($"  hook {hook.Hook.Name}: {hook.Chosen?.ToString() ?? "unavailable"}");
        }

        stderr.WriteLine($"tracer run: telemetry to {destination}");
        stderr.WriteLine("tracer run: stop with Ctrl-C or SIGTERM (systemctl stop tracer); findings go to the telemetry, a status line to standard error");
        stderr.Flush();
    }

    public void Emit(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        findings[finding.Kind] = findings.GetValueOrDefault(finding.Kind) + 1;
    }

    public void Tick(TraceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        line = Describe(state);
        if (terminal)
        {
            stderr.Write($"\r\e[K{line}");
            stderr.Flush();
        }
        else if (clock.GetElapsedTime(lastLine) >= JournalPeriod)
        {
            lastLine = clock.GetTimestamp();
            stderr.WriteLine($"tracer run: {line}");
            stderr.Flush();
        }
    }

    /// <summary>The last status, after how long, once the engine has stopped.</summary>
    public void Summary()
    {
        stderr.Write(terminal ? "\r\e[K" : "");
        stderr.WriteLine($"tracer run: stopped after {Human.Duration(clock.GetElapsedTime(started))}: {line}");
        stderr.Flush();
    }

    private string Describe(TraceState state)
    {
        var c = CultureInfo.InvariantCulture;
        var connections = state.Tcp?.Count ?? 0;
        var kinds = findings.Count == 0 ? "none" : string.Join(", ", findings.OrderBy(f => f.Key.Name, StringComparer.Ordinal).Select(f => string.Create(c, $"{f.Key.Name} {f.Value}")));
        var cpuNow = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = clock.GetElapsedTime(lastCpuAt);
        var cpu = wall > TimeSpan.Zero ? (cpuNow - lastCpu) / wall * 100 : 0;
        (lastCpu, lastCpuAt) = (cpuNow, clock.GetTimestamp());
        return string.Create(c,
            $"{connections} connections tracked, {state.Samples} samples, {state.Load.Dropped} dropped; findings: {kinds}; CPU {cpu:F1} %, RSS {Human.Bytes((ulong)Environment.WorkingSet)}");
    }
}
