using System.Globalization;
using System.Text.Json;
using Tracer.Analysis;

namespace Tracer.Report;

/// <summary>Where a report's data came from, as its header lists it.</summary>
public sealed record ReportInput(string Path, string What);

/// <summary>
/// Gathers what every input gave (connection traces, findings, slab series, what the inputs say
/// about the machine) and writes the page's data: times on one axis, series thinned per pixel column.
/// </summary>
public sealed class ReportBuilder
{
    /// <summary>Pixel columns a chart is thinned to: about the width of a chart on a laptop screen.</summary>
    public const int Columns = 1000;

    /// <summary>Caches drawn in the growth chart, fastest-growing first.</summary>
    public const int TopCaches = 8;

    /// <summary>Among a connection's findings of equal severity, which one is its worst: first here first.</summary>
    private static readonly string[] ConnectionKinds = ["tcp.stuck", "tcp.zero_window.open", "tcp.wl1_lag", "tcp.window_update_ignored", "tcp.zero_window.start", "tcp.zero_window.end"];

    public List<ReportInput> Inputs { get; } = [];

    public SortedSet<string> Hosts { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> Kernels { get; } = new(StringComparer.Ordinal);

    /// <summary>Versions of the tracer that produced the inputs, where they say.</summary>
    public SortedSet<string> Versions { get; } = new(StringComparer.Ordinal);

    /// <summary>The filters each trace ran with, where its input says: "INPUT: --comm rsync".</summary>
    public SortedSet<string> Filters { get; } = new(StringComparer.Ordinal);

    /// <summary>What the inputs do not tell, or tell only in part: said in the header.</summary>
    public List<string> Notes { get; } = [];

    public List<ConnectionTrace> Traces { get; } = [];

    public FindingLog Findings { get; } = new();

    public SlabSeries Slab { get; } = new();

    /// <summary>The page's data as JSON: header, connections, slab, other findings.</summary>
    public void WriteData(Utf8JsonWriter w, string generator)
    {
        ArgumentNullException.ThrowIfNull(w);
        var axis = Axis.Of(this);
        var byCookie = Findings.All.Where(f => f.Cookie is not null).GroupBy(f => f.Cookie!.Value).ToDictionary(g => g.Key, g => g.ToList());
        var gapsByCookie = Findings.Gaps.Where(g => g.Cookie is not null).GroupBy(g => g.Cookie!.Value).ToDictionary(g => g.Key, g => g.ToList());
        w.WriteStartObject();
        w.WriteString("clock", axis.Wall ? "wall" : "relative");
        WriteHeader(w, axis, generator);
        w.WriteStartArray("connections");
        var cookies = Traces.Select(t => t.Cookie).Concat(byCookie.Keys).Distinct();
        foreach (var cookie in cookies)
        {
            WriteConnection(w, axis, Traces.FirstOrDefault(t => t.Cookie == cookie), byCookie.GetValueOrDefault(cookie, []), gapsByCookie.GetValueOrDefault(cookie, []));
        }

        w.WriteEndArray();
        WriteSlab(w, axis);
        static bool Other(string kind) => !kind.StartsWith("slab.", StringComparison.Ordinal);
        Events(w, "others", axis, Findings.All.Where(f => f.Cookie is null && Other(f.Kind)).ToList(), Findings.Gaps.Where(g => g.Cookie is null && Other(g.Kind)).ToList());
        w.WriteEndObject();
    }

    private void WriteHeader(Utf8JsonWriter w, Axis axis, string generator)
    {
        w.WriteStartObject("header");
        Strings(w, "hosts", Hosts);
        Strings(w, "kernels", Kernels);
        Strings(w, "versions", Versions);
        Strings(w, "filters", Filters);
        w.WriteString("generator", generator);
        w.WriteStartArray("inputs");
        foreach (var input in Inputs)
        {
            w.WriteStartObject();
            w.WriteString("path", input.Path);
            w.WriteString("what", input.What);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (axis.Start is { } start)
        {
            w.WriteNumber("start", start);
            w.WriteNumber("end", axis.End!.Value);
        }

        var drops = Findings.All.Where(f => f.Kind == "tracer.drops").OrderBy(f => axis.X(f.Time)).ToList();
        w.WriteNumber("dropped", drops.Sum(f => f.Number("dropped") ?? 0));
        w.WriteStartArray("incomplete");
        foreach (var f in drops)
        {
            w.WriteStringValue($"{axis.Label(f.Time)}: {f.Message}");
        }

        foreach (var group in Findings.All.Where(f => f.Flag("possibly_incomplete")).GroupBy(f => f.ConnectionLabel))
        {
            w.WriteStringValue(string.Create(CultureInfo.InvariantCulture,
                $"{group.Key}: findings from {axis.Label(group.MinBy(f => f.Time.Ns)!.Time)} rest on samples the kernel dropped (up to {group.Max(f => f.Number("lost_samples") ?? 0)} lost)"));
        }

        w.WriteEndArray();
        Strings(w, "notes", Notes);
        w.WriteEndObject();
    }

    private static void WriteConnection(Utf8JsonWriter w, Axis axis, ConnectionTrace? trace, List<ReportFinding> findings, List<FindingGap> gaps)
    {
        var worst = findings
            .OrderByDescending(f => f.Rank)
            .ThenBy(f => Array.IndexOf(ConnectionKinds, f.Kind) is var i && i >= 0 ? i : ConnectionKinds.Length)
            .ThenByDescending(f => f.Time.Ns)
            .FirstOrDefault();
        w.WriteStartObject();
        w.WriteString("label", trace is not null ? Label(trace) : findings[0].ConnectionLabel);
        w.WriteNumber("cookie", trace?.Cookie ?? findings[0].Cookie!.Value);
        w.WriteNumber("samples", trace?.Count ?? 0);
        w.WriteNumber("findings", findings.Count + gaps.Sum(g => g.Omitted));
        if (worst is not null)
        {
            w.WriteStartObject("worst");
            w.WriteString("kind", worst.Kind);
            w.WriteString("severity", worst.Severity);
            w.WriteNumber("rank", worst.Rank);
            w.WriteString("message", worst.Message);
            w.WriteEndObject();
        }

        if (findings.Count > 0)
        {
            if (trace is { Count: > 0 })
            {
                WriteChart(w, axis, trace);
            }

            WriteEpisodes(w, axis, findings);
            Events(w, "events", axis, findings, gaps);
        }

        w.WriteEndObject();
    }

    private static void WriteChart(Utf8JsonWriter w, Axis axis, ConnectionTrace trace)
    {
        var x = trace.TimesNs.Select(ns => axis.X(new ReportTime(ns, trace.WallOffsetNs))).ToArray();
        IReadOnlyList<double>[] series =
        [
            trace.SndWnd.Select(v => (double)v).ToArray(),
            trace.Advertised.Select(v => (double)v).ToArray(),
            trace.InFlight.Select(v => (double)v).ToArray(),
            trace.Unsent.Select(v => (double)v).ToArray(),
            trace.Wl1Lag.Select(v => (double)v).ToArray(),
        ];
        var keep = Downsampler.Keep(x, series, Columns);
        w.WriteStartObject("chart");
        Column(w, "x", keep, x);
        string[] names = ["snd_wnd", "advertised", "in_flight", "unsent", "wl1_lag"];
        for (var s = 0; s < names.Length; s++)
        {
            Column(w, names[s], keep, series[s]);
        }

        w.WriteEndObject();
        Times(w, "ignored", axis, trace.IgnoredUpdatesNs, trace.WallOffsetNs);
        Times(w, "probes", axis, trace.ProbesNs, trace.WallOffsetNs);
    }

    /// <summary>Zero-window episodes: each end (or still-open report) with its duration; stuck when a stuck verdict fell inside.</summary>
    private static void WriteEpisodes(Utf8JsonWriter w, Axis axis, List<ReportFinding> findings)
    {
        var stuck = findings.Where(f => f.Kind == "tcp.stuck").Select(f => axis.X(f.Time)).ToList();
        w.WriteStartArray("episodes");
        foreach (var f in findings.Where(f => f.Kind is "tcp.zero_window.end" or "tcp.zero_window.open"))
        {
            var end = axis.X(f.Time);
            var begin = end - ((f.Number("duration_ms") ?? 0) / 1000);
            w.WriteStartArray();
            w.WriteNumberValue(Math.Round(begin, 3));
            w.WriteNumberValue(end);
            w.WriteBooleanValue(f.Flag("stuck") || stuck.Any(t => t >= begin && t <= end));
            w.WriteEndArray();
        }

        w.WriteEndArray();
    }

    private void WriteSlab(Utf8JsonWriter w, Axis axis)
    {
        w.WriteStartObject("slab");
        w.WriteStartArray("caches");
        foreach (var (cache, points) in Slab.Growth.OrderByDescending(c => c.Value[^1].Objects).Take(TopCaches))
        {
            w.WriteStartObject();
            w.WriteString("name", cache);
            Thinned(w, axis, points.Select(p => (p.Time, p.Objects)).ToList(), "growth");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("sunreclaim");
        Thinned(w, axis, Slab.SUnreclaim, "bytes");
        w.WriteEndObject();
        w.WriteStartArray("suspects");
        foreach (var f in Findings.All.Where(f => f.Kind == "slab.leak_suspect").OrderBy(f => axis.X(f.Time)))
        {
            w.WriteStartObject();
            w.WriteNumber("t", axis.X(f.Time));
            w.WriteString("cache", f.String("cache"));
            w.WriteString("message", f.Message);
            w.WritePropertyName("stacks");
            if (f.Json.TryGetProperty("top_stacks", out var stacks))
            {
                stacks.WriteTo(w);
            }
            else
            {
                w.WriteStartArray();
                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("ooms");
        foreach (var f in Findings.All.Where(f => f.Kind == "slab.oom").OrderBy(f => axis.X(f.Time)))
        {
            Event(w, axis, f);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Thinned(Utf8JsonWriter w, Axis axis, List<(ReportTime Time, double Value)> points, string name)
    {
        var ordered = points.OrderBy(p => axis.X(p.Time)).ToList();
        var x = ordered.Select(p => axis.X(p.Time)).ToArray();
        var y = ordered.Select(p => p.Value).ToArray();
        var keep = Downsampler.Keep(x, [y], Columns);
        Column(w, "x", keep, x);
        Column(w, name, keep, y);
    }

    /// <summary>The findings kept, and a line for each run the log left out, in time order.</summary>
    private static void Events(Utf8JsonWriter w, string name, Axis axis, List<ReportFinding> findings, List<FindingGap> gaps)
    {
        var listed = findings.Select(f => (T: axis.X(f.Time), Write: (Action)(() => Event(w, axis, f))))
            .Concat(gaps.Select(g => (T: axis.X(g.First.Time), Write: (Action)(() => Gap(w, axis, g)))));
        w.WriteStartArray(name);
        foreach (var (_, write) in listed.OrderBy(e => e.T))
        {
            write();
        }

        w.WriteEndArray();
    }

    private static void Gap(Utf8JsonWriter w, Axis axis, FindingGap gap)
    {
        w.WriteStartObject();
        w.WriteNumber("t", axis.X(gap.First.Time));
        w.WriteString("at", axis.Label(gap.First.Time));
        w.WriteString("kind", gap.Kind);
        w.WriteString("severity", gap.First.Severity);
        w.WriteString("message", string.Create(CultureInfo.InvariantCulture,
            $"{gap.Omitted} more {gap.Kind} findings until {axis.Label(gap.Last.Time)}, not listed; the last: {gap.Last.Message}"));
        w.WriteEndObject();
    }

    private static void Event(Utf8JsonWriter w, Axis axis, ReportFinding f)
    {
        w.WriteStartObject();
        w.WriteNumber("t", axis.X(f.Time));
        w.WriteString("at", axis.Label(f.Time));
        w.WriteString("kind", f.Kind);
        w.WriteString("severity", f.Severity);
        w.WriteString("message", f.Message);
        if (f.Number("wl1_lag_bytes") is { } lag)
        {
            w.WriteNumber("wl1_lag", lag);
        }

        w.WriteEndObject();
    }

    private static void Column(Utf8JsonWriter w, string name, int[] keep, IReadOnlyList<double> values)
    {
        w.WriteStartArray(name);
        foreach (var i in keep)
        {
            w.WriteNumberValue(values[i]);
        }

        w.WriteEndArray();
    }

    /// <summary>Marks on the time axis, the first and last of each pixel column: more would draw the same.</summary>
    private static void Times(Utf8JsonWriter w, string name, Axis axis, List<ulong> times, long? wallOffsetNs)
    {
        var x = times.Select(ns => axis.X(new ReportTime(ns, wallOffsetNs))).ToArray();
        Column(w, name, Downsampler.Keep(x, [], Columns), x);
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static string Label(ConnectionTrace t) => string.Create(CultureInfo.InvariantCulture, $"{t.Comm} {t.Pid} {t.Endpoints}");

    /// <summary>
    /// The time axis: Unix seconds when every input knows its wall clock, else seconds since the
    /// earliest time of all inputs (JSON Lines samples carry monotonic times only).
    /// </summary>
    internal sealed class Axis
    {
        private readonly ulong originNs;

        private Axis(bool wall, ulong originNs, double? start, double? end)
        {
            Wall = wall;
            this.originNs = originNs;
            Start = start;
            End = end;
        }

        public bool Wall { get; }

        public double? Start { get; }

        public double? End { get; }

        public static Axis Of(ReportBuilder report)
        {
            var times = report.Traces.SelectMany(t => t.Count == 0 ? [] : new[] { new ReportTime(t.TimesNs.Min(), t.WallOffsetNs), new ReportTime(t.TimesNs.Max(), t.WallOffsetNs) })
                .Concat(report.Findings.All.Select(f => f.Time))
                .Concat(report.Slab.Growth.Values.SelectMany(p => p.Select(q => q.Time)))
                .Concat(report.Slab.SUnreclaim.Select(p => p.Time))
                .ToList();
            if (times.Count == 0)
            {
                return new Axis(true, 0, null, null);
            }

            var wall = times.All(t => t.WallOffsetNs is not null);
            var origin = wall ? 0 : times.Min(t => t.Ns);
            var probe = new Axis(wall, origin, null, null);
            return new Axis(wall, origin, times.Min(probe.X), times.Max(probe.X));
        }

        /// <summary>Seconds on the axis, to the millisecond.</summary>
        public double X(ReportTime t) => Math.Round(Wall ? t.UnixNs!.Value / 1e9 : (t.Ns - Math.Min(t.Ns, originNs)) / 1e9, 3);

        /// <summary>RFC 3339 on a wall clock, <c>+HH:MM:SS.mmm</c> otherwise.</summary>
        public string Label(ReportTime t) => Wall
            ? Analysis.Formatting.Timestamps.Rfc3339(DateTime.UnixEpoch.AddTicks(t.UnixNs!.Value / TimeSpan.NanosecondsPerTick))
            : Analysis.Formatting.Timestamps.SinceStart(t.Ns, originNs);
    }
}
