using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Overhead;
using Tracer.Analysis.Tcp;
using Tracer.Pipeline;

namespace Tracer.Output;

/// <summary>
/// The terminal view of <c>tracer tcp</c>: connections, problems first, redrawn in
/// place on the alternate screen; the findings stay on the normal screen afterwards.
/// </summary>
public sealed class LiveView : IFindingSink, IDisposable
{
    private const int BarWidth = 16;
    private const int RecentFindings = 8;
    private readonly TerminalScreen screen;
    private readonly string title;

    public LiveView(TextWriter terminal, string title)
    {
        screen = new TerminalScreen(terminal);
        this.title = title;
    }

    public void Emit(Finding finding) => screen.Keep(TextOutput.Format(finding, TextOutput.Utc(Clock.ToWallClock)));

    /// <summary>Redraws at every housekeeping tick.</summary>
    public void Tick(TraceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Draw(state.Tcp!, state.Samples, state.Load, state.NowNs);
    }

    private void Draw(TcpWindowAnalyzer analyzer, ulong samples, LoadState load, ulong nowNs)
    {
        var rows = Math.Max(Console.WindowHeight, 20);
        screen.BeginFrame();
        var dropped = load.Dropped == 0 ? "0 dropped" : $"{load.Dropped} dropped ({load.DroppedByCpu}; findings may be incomplete)";
        var detail = load.Level == DetailLevel.Full ? "" : $", verdict-only under load ({load.Suppressed} suppressed)";
        screen.Line($"{title} — {analyzer.Count} connections, {samples} samples, {analyzer.ShortEpisodes} zero-window blips, {dropped}{detail}   Ctrl-C to stop");
        screen.Line("");
        screen.Line($"{"OWNER",-22} {"LOCAL → PEER",-46} {"SND_WND",9}  {"WL1 LAG (→ 2 GiB)",-27} STATE");
        var shown = 0;
        var limit = rows - RecentFindings - 6;
        foreach (var c in analyzer.Connections.OrderByDescending(c => c.State).ThenByDescending(c => c.Wl1LagBytes))
        {
            if (shown++ >= limit)
            {
                break;
            }

            var owner = c.Pid == 0 ? "?" : $"{c.Pid}/{c.Comm}";
            screen.Line($"{TerminalScreen.Clip(owner, 22),-22} {TerminalScreen.Clip(c.Endpoints.ToString(), 46),-46} {Human.Bytes(c.SndWnd),9}  {LagBar(c.Wl1LagBytes),-27} {State(c, nowNs)}");
        }

        screen.EndFrame(RecentFindings);
    }

    public void Dispose() => screen.Dispose();

    private static string LagBar(ulong lag)
    {
        var fraction = Math.Min(1.0, lag / (double)TcpWindowAnalyzer.Wl1LagCriticalBytes);
        var filled = (int)Math.Round(fraction * BarWidth);
        return $"[{new string('#', filled)}{new string('-', BarWidth - filled)}] {Human.Bytes(lag)}";
    }

    private static string State(in ConnectionView c, ulong nowNs) => c.State switch
    {
        WindowState.Stuck => $"STUCK: zero window {Since(c, nowNs)}, {c.IgnoredUpdates} updates ignored",
        WindowState.ZeroWindow => $"zero window {Since(c, nowNs)}, {c.Unsent} B unsent, probes {c.ProbesOut}, backoff {c.Backoff}",
        WindowState.ZeroIdle => "zero window, nothing to send",
        _ => c.Wl1LagLevel >= Severity.Warning ? $"wl1 lag {c.Wl1LagLevel}" : "ok",
    };

    private static string Since(in ConnectionView c, ulong nowNs) =>
        c.ZeroWindowSinceNs is { } since && nowNs > since ? Human.Duration(nowNs - since) : "";
}
