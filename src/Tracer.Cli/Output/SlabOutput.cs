using System.Globalization;
using System.Text;
using System.Text.Json;
using Tracer.Analysis.Formatting;
using Tracer.Analysis.Slab;

namespace Tracer.Cli.Output;

/// <summary>Slab findings as JSON lines on a stream.</summary>
public sealed class SlabJsonOutput : ISlabFindingSink, IDisposable
{
    private readonly Stream stream;
    private readonly Utf8JsonWriter json;

    public SlabJsonOutput(Stream stream)
    {
        this.stream = stream;
        json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public void Emit(SlabFinding finding)
    {
        SlabFindingJson.Write(json, finding);
        json.Flush();
        json.Reset();
        stream.WriteByte((byte)'\n');
        stream.Flush();
    }

    public void Dispose()
    {
        json.Dispose();
        stream.Flush();
    }
}

/// <summary>Slab findings as plain lines, for logs and pipes; growth lines only with <c>verbose</c>, the rest always.</summary>
public sealed class SlabTextOutput(TextWriter writer, bool growth) : ISlabFindingSink
{
    public void Emit(SlabFinding finding)
    {
        if (finding is SlabGrowthFinding && !growth)
        {
            return;
        }

        writer.WriteLine(Format(finding));
        writer.Flush();
    }

    public static string Format(SlabFinding f) => $"{Clock.ToWallClock(f.TimestampNs):HH:mm:ss.fff} {f.Kind}: {f.Message}";
}

/// <summary>
/// The terminal view of <c>tracer slab</c>: caches by byte growth, top-like, redrawn
/// in place on the alternate screen; leak suspects and OOM kills stay on the normal screen afterwards.
/// </summary>
public sealed class SlabLiveView : ISlabFindingSink, IDisposable
{
    private const int TrendWidth = 16;
    private const int RecentFindings = 6;
    private const string Ticks = "▁▂▃▄▅▆▇█";
    private readonly TextWriter terminal;
    private readonly int top;
    private readonly List<string> findings = [];

    public SlabLiveView(TextWriter terminal, int top)
    {
        this.terminal = terminal;
        this.top = top;
        terminal.Write("\e[?1049h\e[?25l");
    }

    public void Emit(SlabFinding finding)
    {
        if (finding is not SlabGrowthFinding)
        {
            findings.Add(SlabTextOutput.Format(finding));
        }
    }

    public void Draw(SlabGrowthAnalyzer analyzer, ulong attributionFull)
    {
        var latest = analyzer.Latest;
        var frame = new StringBuilder("\e[H");
        var sunreclaim = latest?.SUnreclaimKb is { } kb ? Human.Bytes((ulong)kb * 1024) : "?";
        Line(frame, $"tracer slab — SUnreclaim {sunreclaim}, sampling 1/{latest?.SampleEvery ?? 0}{(attributionFull > 0 ? $", attribution table full ({attributionFull} samples refused)" : "")}   Ctrl-C to stop");
        Line(frame, "");
        Line(frame, $"{"CACHE",-24} {"ALLOCS/S",10} {"OBJS/S",9} {"BYTES/S",10} {"ACTIVE",9}  {"TREND",-TrendWidth}  TOP STACK (COMM)");
        foreach (var c in analyzer.Caches.Take(top))
        {
            var stack = c.TopStack is { } s ? $"{s.Path} ({string.Join(", ", s.Comms.Take(2).Select(x => x.Comm))})" : "";
            var bytes = c.BytesPerSecond >= 0 ? Human.Bytes((ulong)c.BytesPerSecond) : "-" + Human.Bytes((ulong)-c.BytesPerSecond);
            Line(frame, string.Create(CultureInfo.InvariantCulture,
                $"{Clip(c.Name, 24),-24} {c.AllocsPerSecond,10:F0} {c.ObjectsPerSecond,9:+0;-0;0} {bytes,10} {c.ActiveObjects?.ToString(CultureInfo.InvariantCulture) ?? "?",9}  {Sparkline(c.Trend),-TrendWidth}  {(c.Suspected ? "LEAK? " : "")}{stack}"));
        }

        Line(frame, "");
        Line(frame, "findings:");
        foreach (var f in findings.Skip(Math.Max(0, findings.Count - RecentFindings)))
        {
            Line(frame, f);
        }

        frame.Append("\e[J");
        terminal.Write(frame.ToString());
        terminal.Flush();
    }

    public void Dispose()
    {
        terminal.Write("\e[?25h\e[?1049l");
        foreach (var f in findings)
        {
            terminal.WriteLine(f);
        }

        terminal.Flush();
    }

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

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";

    private static void Line(StringBuilder frame, string text) => frame.Append(text).Append("\e[K\n");
}
