using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tracer.Analysis.Recording;
using Tracer.Pipeline;
using Tracer.Pipeline.Sources;

namespace Tracer.Report;

/// <summary>An input the report cannot read: the message names the input and what is wrong.</summary>
public sealed class ReportInputException(string message) : Exception(message);

/// <summary>
/// Reads each input into a <see cref="ReportBuilder"/>: a recording or JSON Lines samples through
/// the engine, findings as <c>tracer tcp --json</c> / <c>slab --json</c> wrote them, and
/// <c>tracer run</c>'s data directory (its OTLP JSON files).
/// </summary>
public static class ReportInputs
{
    /// <summary>The files <c>tracer run</c> writes to its data directory, oldest rotation first.</summary>
    public static readonly string[] RunFiles = ["logs.jsonl", "metrics.jsonl", "traces.jsonl"];

    /// <summary>What tells an OTLP export request line from a sample or finding line.</summary>
    private static readonly string[] OtlpKeys = ["resourceLogs", "resourceMetrics", "resourceSpans"];

    public static void Read(string path, ReportBuilder report, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(report);
        if (Directory.Exists(path))
        {
            ReadRunDirectory(path, report);
        }
        else if (IsOtlpFile(path))
        {
            var what = OtlpFile.Read(path, report);
            report.Inputs.Add(new(path, what));
        }
        else
        {
            ReadSamplesAndFindings(path, report, logger);
        }
    }

    /// <summary>The files of <c>tracer run --data-dir</c>, rotated ones (<c>.4</c> … <c>.1</c>) before the current one.</summary>
    public static List<string> RunDirectoryFiles(string directory) =>
        RunFiles.SelectMany(name => Enumerable.Range(1, 4).Reverse().Select(n => Path.Combine(directory, $"{name}.{n}")).Append(Path.Combine(directory, name)))
            .Where(File.Exists)
            .ToList();

    private static void ReadRunDirectory(string directory, ReportBuilder report)
    {
        var files = RunDirectoryFiles(directory);
        if (files.Count == 0)
        {
            throw new ReportInputException($"{directory}: no tracer run telemetry files ({string.Join(", ", RunFiles)})");
        }

        var read = files.Select(f => $"{Path.GetFileName(f)}: {OtlpFile.Read(f, report)}");
        report.Inputs.Add(new(directory, $"tracer run data directory ({string.Join("; ", read)})"));
        report.Notes.Add($"{directory}: the telemetry files hold findings and metrics, not samples: no window charts for its connections");
    }

    private static void ReadSamplesAndFindings(string path, ReportBuilder report, ILogger logger)
    {
        long? wallOffset;
        string format;
        var before = report.Findings.Count;
        EngineResult result;
        ReportCollector collector;
        using (var source = FileTcpSource.Open(path))
        {
            var header = source.Header;
            wallOffset = header?.MonotonicToWallOffsetNs;
            format = header is null ? "JSON Lines" : $"recording (format {header.FormatVersion})";
            if (header is not null)
            {
                report.Kernels.Add(header.KernelRelease);
                Add(report.Hosts, header.Host);
                Add(report.Versions, header.TracerVersion);
                Add(report.Filters, header.Filters is { } filters ? $"{path}: {(filters.Length == 0 ? "none" : filters)}" : null);
                var unknown = string.Join(", ", new[] { header.Host is null ? "the host" : null, header.Filters is null ? "the filters" : null }.OfType<string>());
                report.Notes.Add($"{path}: a recording holds samples, not the kernel's drop counts{(unknown.Length > 0 ? $"; {unknown} not recorded" : "")}");
            }
            else
            {
                wallOffset = JsonLinesWallOffset(path);
            }

            collector = new ReportCollector(wallOffset, report.Findings);
            using var stop = new StopSignal(null);
            result = new Engine(new EngineOptions(), collector, logger).Run(source, slab: null, stop);
        }

        var fromSamples = report.Findings.Count - before;
        var inFile = format == "JSON Lines" ? ReadFindingLines(path, wallOffset, result.Samples > 0, report) : 0;
        if (result.Samples == 0 && inFile == 0)
        {
            throw new ReportInputException($"{path}: no samples and no findings");
        }

        report.Traces.AddRange(collector.Traces);
        report.Inputs.Add(new(path, string.Create(CultureInfo.InvariantCulture,
            $"{format}: {result.Samples} samples, {fromSamples} findings from them, {inFile} findings in the file")));
    }

    /// <summary>
    /// Finding lines (any kind but <c>tcp.sample</c>): what <c>tracer tcp --json</c> and <c>slab --json</c> write;
    /// <c>slab.growth</c> lines also feed the slab series. When the file also holds samples, the engine
    /// remade its connection findings: only the others are taken. Returns the findings taken.
    /// </summary>
    private static long ReadFindingLines(string path, long? wallOffset, bool hasSamples, ReportBuilder report)
    {
        long taken = 0;
        foreach (var (line, number) in Lines(path))
        {
            using var document = Parse(path, number, line);
            var root = document.RootElement;
            if (!root.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String || kind.GetString() == "tcp.sample")
            {
                continue;
            }

            if (!root.TryGetProperty("ts_ns", out var ts) || !ts.TryGetUInt64(out var ns))
            {
                throw new ReportInputException($"{path}: line {number}: a finding without ts_ns");
            }

            if (hasSamples && root.TryGetProperty("cookie", out _))
            {
                continue;
            }

            var finding = new ReportFinding(root.Clone(), new ReportTime(ns, wallOffset));
            if (finding.Kind == "slab.growth")
            {
                if (finding.String("cache") is { } cache && finding.Number("net_objects") is { } net)
                {
                    report.Slab.AddNet(cache, finding.Time, net);
                }

                if (finding.Number("sunreclaim_kb") is { } kb)
                {
                    report.Slab.SUnreclaim.Add((finding.Time, kb * 1024));
                }
            }

            report.Findings.Add(finding);
            taken++;
        }

        return taken;
    }

    private static void Add(SortedSet<string> set, string? value)
    {
        if (value is not null)
        {
            set.Add(value);
        }
    }

    /// <summary>Unix − monotonic nanoseconds from the first line carrying both <c>time</c> and <c>ts_ns</c>; null when none does.</summary>
    private static long? JsonLinesWallOffset(string path)
    {
        foreach (var (line, number) in Lines(path))
        {
            using var document = Parse(path, number, line);
            var root = document.RootElement;
            if (root.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var wall)
                && root.TryGetProperty("ts_ns", out var ts) && ts.TryGetUInt64(out var ns))
            {
                return (wall.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * TimeSpan.NanosecondsPerTick - (long)ns;
            }
        }

        return null;
    }

    private static bool IsOtlpFile(string path)
    {
        foreach (var (line, _) in Lines(path))
        {
            return OtlpKeys.Any(key => line.Contains($"\"{key}\"", StringComparison.Ordinal));
        }

        return false;
    }

    /// <summary>Non-blank, non-comment lines with their 1-based numbers.</summary>
    internal static IEnumerable<(string Line, int Number)> Lines(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var trimmed = line.TrimStart();
            if (trimmed.Length > 0 && trimmed[0] != '#')
            {
                yield return (line, number);
            }
        }
    }

    internal static JsonDocument Parse(string path, int number, string line)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new ReportInputException($"{path}: line {number}: not JSON ({e.Message.TrimEnd('.')})");
        }
    }
}
