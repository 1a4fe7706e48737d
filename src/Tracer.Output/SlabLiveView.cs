using System.Globalization;
using Tracer.Analysis.Findings;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Slab;
using Tracer.Pipeline;

namespace Tracer.Output;

/// <summary>
/// The terminal view of <c>tracer slab</c>: caches by byte growth, top-like, redrawn
/// in place on the alternate screen; leak suspects and OOM kills stay on the normal screen afterwards.
/// </summary>
public sealed class SlabLiveView : IFindingSink, IDisposable
{
    private const int TrendWidth = 16;
    private const int RecentFindings = 6;
    private const string Ticks = "▁▂▃▄▅▆▇█";
    private readonly TerminalScreen screen;
    private readonly int top;

    public SlabLiveView(TextWriter terminal, int top)
    {
        screen = new TerminalScreen(terminal);
        this.top = top;
    }

    public void Emit(Finding finding)
    {
        if (finding.Kind != FindingKind.SlabGrowth)
        {
            screen.Keep(TextOutput.Format(finding, TextOutput.Utc(Clock.ToWallClock)));
        }
    }

    public void Tick(TraceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Draw(state.Slab!.Analyzer, state.Slab.AttributionFull);
    }

    private void Draw(SlabGrowthAnalyzer analyzer, ulong attributionFull)
    {
        var latest = analyzer.Latest;
        screen.BeginFrame();
        var sunreclaim = latest?.SUnreclaimKb is { } kb ? Human.Bytes((ulong)kb * 1024) : "?";
        screen.Line($"tracer slab — SUnreclaim {sunreclaim}, sampling 1/{latest?.SampleEvery ?? 0}{(attributionFull > 0 ? $", attribution table full ({attributionFull} samples refused)" : "")}   Ctrl-C to stop");
        screen.Line("");
        screen.Line($"{"CACHE",-24} {"ALLOCS/S",10} {"OBJS/S",9} {"BYTES/S",10} {"ACTIVE",9}  {"TREND",-TrendWidth}  TOP STACK (COMM)");
        foreach (var c in analyzer.Caches.Take(top))
        {
            var stack = c.TopStack is { } s ? $"{s.Path} ({string.Join(", ", s.Comms.Take(2).Select(x => x.Comm))})" : "";
            var bytes = c.BytesPerSecond >= 0 ? Human.Bytes((ulong)c.BytesPerSecond) : "-" + Human.Bytes((ulong)-c.BytesPerSecond);
            screen.Line(string.Create(CultureInfo.InvariantCulture,
                $"{TerminalScreen.Clip(c.Name, 24),-24} {c.AllocsPerSecond,10:F0} {c.ObjectsPerSecond,9:+0;-0;0} {bytes,10} {c.ActiveObjects?.ToString(CultureInfo.InvariantCulture) ?? "?",9}  {Sparkline(c.Trend),-TrendWidth}  {(c.Suspected ? "LEAK? " : "")}{stack}"));
        }

        screen.EndFrame(RecentFindings);
    }

    public void Dispose() => screen.Dispose();

    /// <summary>Net objects per interval, the last <see cref="TrendWidth"/>, scaled to the largest magnitude; falls show as ▁.</summary>
    public static string Sparkline(IReadOnlyList<long> values)
    {
        var recent = values.Skip(Math.Max(0, values.Count - TrendWidth)).ToList();
        var max = recent.Count == 0 ? 0 : recent.Max(v => Math.Abs(v));
        if (max == 0)
        {
            return new string(Ticks[0], recent.Count);
        }

        return string.Concat(recent.Select(v => v <= 0 ? Ticks[0] : Ticks[(int)Math.Round((Ticks.Length - 1) * (double)v / max)]));
    }
}
